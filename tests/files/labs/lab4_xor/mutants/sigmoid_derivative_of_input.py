# caught by: sigmoid_backward nonzero_where_zero
import numpy as np


class Sigmoid:
    """The logistic sigmoid z = 1 / (1 + exp(-u)), element-wise."""

    def forward(self, u):
        """Returns z = sigmoid(u) (same shape as u) and keeps what backward needs."""
        ### BEGIN SOLUTION
        self.u = u
        self.z = 1.0 / (1.0 + np.exp(-u))
        return self.z
        ### END SOLUTION

    def backward(self, grad_z):
        """grad_z = dE/dz. Returns grad_u = dE/du = grad_z * z * (1 - z)."""
        ### BEGIN SOLUTION
        return grad_z * self.u * (1.0 - self.u)
        ### END SOLUTION
