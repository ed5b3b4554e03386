# caught by: backward_two_layers relu_mask_missing
import numpy as np


def backward(params, cache, grad_u):
    """Backward pass: from grad_u = dE/du of the last layer (N, M_L), the gradients of E with
    respect to every parameter. Returns a list of pairs (dW, db), in the order of `params`, each
    of the shape of its parameter."""
    ### BEGIN SOLUTION
    gradients = []
    for number in reversed(range(len(params))):
        z, u = cache[number]
        gradients.append((z.T @ grad_u, np.sum(grad_u, axis=0, keepdims=True)))
        grad_u = grad_u @ params[number][0].T  # dE/dz of the layer below
    return gradients[::-1]
    ### END SOLUTION
