# caught by: softmax_cross_entropy_values mean_not_sum
import numpy as np


def softmax_cross_entropy(u, d):
    """Mean softmax cross-entropy of the logits u (N, K) against one-hot targets d (N, K).

    Returns (E, grad_u): E = -(1/N) sum_n sum_k d[n, k] log y[n, k] with y = softmax(u) row by
    row, computed with the row maximum subtracted (log-sum-exp), and grad_u = dE/du = (y - d) / N.
    """
    ### BEGIN SOLUTION
    shifted = u - np.max(u, axis=1, keepdims=True)
    log_y = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    n = u.shape[0]
    return float(-np.sum(d * log_y) / n), np.exp(log_y) - d
    ### END SOLUTION
