# caught by: softmax_values values
import numpy as np


def softmax(u):
    """Row-wise softmax of u, shape (N, K): y[n, k] = exp(u[n, k]) / sum_j exp(u[n, j]).

    Computed stably: the maximum of each row is subtracted before np.exp.
    """
    ### BEGIN SOLUTION
    shifted = u - np.max(u)
    e = np.exp(shifted)
    return e / np.sum(e, axis=0)
    ### END SOLUTION
