# caught by: batch_norm_backward zero_where_nonzero
import numpy as np


def batch_norm(x, gamma, beta, eps=1e-5):
    """Batch normalisation in training mode. x: Tensor (N, D); gamma, beta: Tensors (D,).
    Each column is standardised with the mean and (biased) variance of the batch, then scaled
    by gamma and shifted by beta. Returns the Tensor (N, D)."""
    ### BEGIN SOLUTION
    mu = x.data.mean(axis=0)
    inv_std = 1.0 / np.sqrt(x.data.var(axis=0) + eps)
    x_hat = (x.data - mu) * inv_std

    def bn_vjp(g):
        g_hat = g * gamma.data
        g_x = inv_std * g_hat
        return g_x, (g * x_hat).sum(axis=0), g.sum(axis=0)
    return Tensor(gamma.data * x_hat + beta.data, (x, gamma, beta), bn_vjp)
    ### END SOLUTION
