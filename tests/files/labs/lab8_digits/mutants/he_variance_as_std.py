# caught by: init_params_schemes values
import numpy as np


def init_params(sizes, scheme, rng):
    """Weights and biases of a network with layer sizes `sizes` = [M_0, M_1, ..., M_L].

    Returns a list of L pairs (W, b): W of shape (M_{l-1}, M_l) drawn with
    rng.normal(0.0, std, size=...), layer after layer, b = zeros of shape (1, M_l). The standard
    deviation depends on `scheme`: "normal" std = 1, "glorot" std = sqrt(2 / (fan_in + fan_out)),
    "he" std = sqrt(2 / fan_in), with fan_in = M_{l-1} and fan_out = M_l.
    """
    ### BEGIN SOLUTION
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        std = {"normal": 1.0,
               "glorot": np.sqrt(2.0 / (fan_in + fan_out)),
               "he": 2.0 / fan_in}[scheme]
        params.append((rng.normal(0.0, std, size=(fan_in, fan_out)), np.zeros((1, fan_out))))
    return params
    ### END SOLUTION
