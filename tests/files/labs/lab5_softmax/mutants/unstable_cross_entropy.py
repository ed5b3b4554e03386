# caught by: cross_entropy_large_logits not_finite
import numpy as np


class SoftmaxCrossEntropy:
    """Softmax output and cross-entropy loss as one layer:
    E = -(1/N) * sum over samples n and classes k of d[n, k] * log(y[n, k]), y = softmax(u)."""

    def forward(self, u, d):
        """u: (N, K) pre-activations of the output layer, d: (N, K) one-hot targets.
        Stores y = softmax(u) and d; returns the mean cross-entropy E as a float, with
        log y computed stably as (u - max) - log(sum(exp(u - max)))."""
        ### BEGIN SOLUTION
        shifted = u
        log_y = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        self.y, self.d = np.exp(log_y), d
        return float(-np.sum(d * log_y) / u.shape[0])
        ### END SOLUTION

    def backward(self):
        """Returns grad_u = dE/du = (y - d) / N, shape (N, K)."""
        ### BEGIN SOLUTION
        return (self.y - self.d) / self.y.shape[0]
        ### END SOLUTION
