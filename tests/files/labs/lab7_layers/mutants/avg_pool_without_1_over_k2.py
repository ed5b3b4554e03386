# caught by: avg_pool_backward mean_not_sum
import numpy as np


def avg_pool(x, k):
    """Average pooling over non-overlapping k x k windows. x: Tensor (N, C, H, W) with H and W
    multiples of k. Returns the Tensor (N, C, H // k, W // k)."""
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    means = x.data.reshape(N, C, H // k, k, W // k, k).mean(axis=(3, 5))

    def avg_vjp(g):
        share = g[:, :, :, np.newaxis, :, np.newaxis]
        return (np.broadcast_to(share, (N, C, H // k, k, W // k, k)).reshape(x.shape),)
    return Tensor(means, (x,), avg_vjp)
    ### END SOLUTION
