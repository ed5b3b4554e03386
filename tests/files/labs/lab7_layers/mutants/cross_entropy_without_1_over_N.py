# caught by: cross_entropy_backward mean_not_sum
import numpy as np


def softmax_cross_entropy(u, labels):
    """The mean cross-entropy of a row-wise softmax. u: Tensor (N, K) of logits; labels: N
    integers in 0..K-1. Returns the Tensor E (a number, shape ())."""
    ### BEGIN SOLUTION
    rows = np.arange(u.shape[0])
    shifted = u.data - u.data.max(axis=1, keepdims=True)
    log_y = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    def ce_vjp(g):
        delta = np.exp(log_y)
        delta[rows, labels] -= 1.0
        return (g * delta,)
    return Tensor(-log_y[rows, labels].mean(), (u,), ce_vjp)
    ### END SOLUTION
