# caught by: forward_two_layers output_relu
import numpy as np


def forward(params, x):
    """Forward pass of a ReLU network: u = z @ W + b in every layer, z = max(u, 0) after every
    layer but the last, which returns its pre-activations (the logits).

    Returns (u_out, cache): u_out of shape (N, M_L), and cache, a list with one pair (z, u) per
    layer: the layer's input z (x for the first layer) and its pre-activation u = z @ W + b.
    """
    ### BEGIN SOLUTION
    cache, z = [], x
    for number, (W, b) in enumerate(params):
        u = z @ W + b
        cache.append((z, u))
        z = np.maximum(u, 0.0)
    return z, cache
    ### END SOLUTION
