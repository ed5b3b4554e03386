# caught by: linear_forward bias_missing
import numpy as np


class Linear:
    """A fully connected layer: u = x @ W + b, one sample per row."""

    def __init__(self, n_in, n_out, rng):
        """W of shape (n_in, n_out) drawn with rng.standard_normal, b = zeros of shape (1, n_out)."""
        ### BEGIN SOLUTION
        self.W = rng.standard_normal((n_in, n_out))
        self.b = np.zeros((1, n_out))
        ### END SOLUTION

    def forward(self, x):
        """x: (N, n_in). Stores x in self.x and returns u = x @ W + b, shape (N, n_out)."""
        ### BEGIN SOLUTION
        self.x = x
        return x @ self.W
        ### END SOLUTION

    def backward(self, grad_u):
        """grad_u = dE/du, shape (N, n_out). Stores self.dW (shape of W) and self.db
        (shape of b), and returns grad_x = dE/dx, shape (N, n_in)."""
        ### BEGIN SOLUTION
        self.dW = self.x.T @ grad_u
        self.db = np.sum(grad_u, axis=0, keepdims=True)
        return grad_u @ self.W.T
        ### END SOLUTION
