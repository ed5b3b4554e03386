# caught by: relu_forward_backward mutates_input
import numpy as np


class ReLU:
    """z = max(u, 0), element-wise."""

    def forward(self, u):
        ### BEGIN SOLUTION
        self.u = u
        return np.maximum(u, 0.0)
        ### END SOLUTION

    def backward(self, grad_z):
        ### BEGIN SOLUTION
        grad_z[self.u <= 0] = 0.0
        return grad_z
        ### END SOLUTION
