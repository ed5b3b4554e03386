# caught by: linear_init_he values
import numpy as np


class Linear:
    """A fully connected layer u = x @ W + b with He initialisation and momentum velocities."""

    def __init__(self, n_in, n_out, rng):
        """W = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out)); b = zeros (1, n_out);
        the velocities vW and vb start as zeros of the shapes of W and b."""
        ### BEGIN SOLUTION
        self.W = rng.normal(0.0, np.sqrt(2.0 / n_out), size=(n_in, n_out))
        self.b = np.zeros((1, n_out))
        self.vW = np.zeros((n_in, n_out))
        self.vb = np.zeros((1, n_out))
        ### END SOLUTION

    def forward(self, x):
        """x: (N, n_in). Stores x in self.x and returns u = x @ W + b, shape (N, n_out)."""
        ### BEGIN SOLUTION
        self.x = x
        return x @ self.W + self.b
        ### END SOLUTION

    def backward(self, grad_u):
        """grad_u: (N, n_out). Stores self.dW and self.db; returns grad_x, shape (N, n_in)."""
        ### BEGIN SOLUTION
        self.dW = self.x.T @ grad_u
        self.db = np.sum(grad_u, axis=0, keepdims=True)
        return grad_u @ self.W.T
        ### END SOLUTION
