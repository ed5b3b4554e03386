# caught by: softmax_large_logits not_finite
import numpy as np


def softmax(u):
    """Row-wise softmax of u, shape (N, K): y[n, k] = exp(u[n, k]) / sum_j exp(u[n, j]).

    Computed stably: the maximum of each row is subtracted before np.exp.
    """
    ### BEGIN SOLUTION
    shifted = u
    e = np.exp(shifted)
    return e / np.sum(e, axis=1, keepdims=True)
    ### END SOLUTION
