# caught by: conv2d_backward nonzero_where_zero
import numpy as np


def conv2d(x, W, b):
    """A convolution layer (stride 1, no padding) through im2col. x: Tensor (N, C, H, W_in),
    W: Tensor (F, C, kh, kw), b: Tensor (F,). Returns the Tensor (N, F, Ho, Wo)."""
    ### BEGIN SOLUTION
    F, C, kh, kw = W.shape
    N, _, H, W_in = x.shape
    Ho, Wo = H - kh + 1, W_in - kw + 1
    cols = im2col(x.data, kh, kw)                     # (N Ho Wo, C kh kw)
    filters = W.data.reshape(F, C * kh * kw)          # one filter per row
    rows_out = cols @ filters.T + b.data              # (N Ho Wo, F)

    def conv_vjp(g):
        g_rows = g.transpose(0, 2, 3, 1).reshape(N * Ho * Wo, F)
        return (col2im(g_rows @ filters, x.shape, kh, kw),
                (cols.T @ g_rows).reshape(W.shape),
                g_rows.sum(axis=0))
    return Tensor(rows_out.reshape(N, Ho, Wo, F).transpose(0, 3, 1, 2), (x, W, b), conv_vjp)
    ### END SOLUTION
