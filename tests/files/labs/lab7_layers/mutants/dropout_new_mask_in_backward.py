# caught by: dropout nonzero_where_zero
import numpy as np


def dropout(x, p, rng):
    """Inverted dropout in training mode: each entry of x (a Tensor) is dropped with
    probability p (a mask drawn with rng) and the kept ones are divided by 1 - p."""
    ### BEGIN SOLUTION
    kept = rng.random(x.shape) >= p
    factor = kept / (1.0 - p)
    return Tensor(x.data * factor, (x,), lambda g: (g * (rng.random(x.shape) >= p) / (1.0 - p),))
    ### END SOLUTION
