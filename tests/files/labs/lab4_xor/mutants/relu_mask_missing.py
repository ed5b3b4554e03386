# caught by: relu_forward_backward derivative_missing
import numpy as np


class ReLU:
    """The rectified linear unit z = max(u, 0), element-wise."""

    def forward(self, u):
        """Returns z = max(u, 0) (same shape as u) and keeps what backward needs."""
        ### BEGIN SOLUTION
        self.u = u
        return np.maximum(u, 0.0)
        ### END SOLUTION

    def backward(self, grad_z):
        """grad_z = dE/dz. Returns grad_u = dE/du: grad_z where u > 0, else 0."""
        ### BEGIN SOLUTION
        return grad_z
        ### END SOLUTION
