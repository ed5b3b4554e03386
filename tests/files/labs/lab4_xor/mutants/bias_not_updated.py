# caught by: network_step unchanged
import numpy as np


class Network:
    """A chain of layers: the output of each layer is the input of the next."""

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        """Runs every layer's forward in order; returns the output of the last layer."""
        ### BEGIN SOLUTION
        for layer in self.layers:
            x = layer.forward(x)
        return x
        ### END SOLUTION

    def backward(self, grad_y):
        """Runs every layer's backward in reverse order, starting from grad_y = dE/dy;
        returns the gradient with respect to the network's input x."""
        ### BEGIN SOLUTION
        for layer in reversed(self.layers):
            grad_y = layer.backward(grad_y)
        return grad_y
        ### END SOLUTION

    def step(self, learning_rate):
        """One gradient-descent step for every layer that has parameters (an attribute W):
        W = W - learning_rate * dW and b = b - learning_rate * db."""
        ### BEGIN SOLUTION
        for layer in self.layers:
            if hasattr(layer, "W"):
                layer.W = layer.W - learning_rate * layer.dW
        ### END SOLUTION
