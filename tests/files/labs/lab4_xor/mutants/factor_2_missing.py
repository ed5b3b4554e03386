# caught by: squared_error_backward half
import numpy as np


class SquaredError:
    """E = (1/N) * sum over samples n and outputs q of (y[n, q] - d[n, q]) ** 2."""

    def forward(self, y, d):
        """y, d: (N, m). Stores them and returns E as a float (mean over the N samples)."""
        ### BEGIN SOLUTION
        self.y, self.d = y, d
        return float(np.sum((y - d) ** 2) / y.shape[0])
        ### END SOLUTION

    def backward(self):
        """Returns grad_y = dE/dy = 2 * (y - d) / N, shape (N, m)."""
        ### BEGIN SOLUTION
        return (self.y - self.d) / self.y.shape[0]
        ### END SOLUTION
