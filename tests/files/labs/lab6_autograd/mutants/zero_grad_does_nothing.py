# caught by: zero_grad nonzero_where_zero
import numpy as np


def zero_grad(parameters):
    """Sets the grad of every Value in parameters (a list) to 0.0."""
    ### BEGIN SOLUTION
    for grad in [p.grad for p in parameters]:
        grad = 0.0
    ### END SOLUTION
