# caught by: network_step_from_rest unchanged
import numpy as np


class Network:
    """A chain of layers, trained with momentum."""

    def __init__(self, layers):
        self.layers = list(layers)

    def forward(self, x):
        """Every layer's forward, in order; returns the output of the last layer."""
        ### BEGIN SOLUTION
        for layer in self.layers:
            x = layer.forward(x)
        return x
        ### END SOLUTION

    def backward(self, grad_y):
        """Every layer's backward, in reverse order; returns the gradient for the input x."""
        ### BEGIN SOLUTION
        for layer in reversed(self.layers):
            grad_y = layer.backward(grad_y)
        return grad_y
        ### END SOLUTION

    def step(self, learning_rate, momentum):
        """One step of gradient descent with momentum for every layer with parameters:
        vW = momentum * vW - learning_rate * dW, then W = W + vW (the same for b with vb)."""
        ### BEGIN SOLUTION
        for layer in self.layers:
            if hasattr(layer, "W"):
                layer.W = layer.W + layer.vW
                layer.b = layer.b + layer.vb
                layer.vW = momentum * layer.vW - learning_rate * layer.dW
                layer.vb = momentum * layer.vb - learning_rate * layer.db
        ### END SOLUTION
