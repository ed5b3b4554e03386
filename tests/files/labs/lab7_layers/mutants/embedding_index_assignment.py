# caught by: embedding_backward zero_where_nonzero
import numpy as np


def embedding(W, ids):
    """An embedding lookup. W: Tensor (V, D), one row per token; ids: an integer array of any
    shape. Returns the Tensor of shape ids.shape + (D,) holding the rows W[ids]."""
    ### BEGIN SOLUTION
    ids = np.asarray(ids)

    def embed_vjp(g):
        table = np.zeros_like(W.data)
        table[ids] += g
        return (table,)
    return Tensor(W.data[ids], (W,), embed_vjp)
    ### END SOLUTION
