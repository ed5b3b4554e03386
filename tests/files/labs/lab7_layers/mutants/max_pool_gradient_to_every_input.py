# caught by: max_pool_backward nonzero_where_zero
import numpy as np


def max_pool(x, k):
    """Max pooling over non-overlapping k x k windows. x: Tensor (N, C, H, W) with H and W
    multiples of k. Returns the Tensor (N, C, H // k, W // k)."""
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    windows = x.data.reshape(N, C, H // k, k, W // k, k)
    biggest = windows.max(axis=(3, 5))

    def max_vjp(g):
        winner = windows == biggest[:, :, :, np.newaxis, :, np.newaxis]
        return ((np.ones_like(windows) * g[:, :, :, np.newaxis, :, np.newaxis]).reshape(x.shape),)
    return Tensor(biggest, (x,), max_vjp)
    ### END SOLUTION
