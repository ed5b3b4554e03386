# caught by: mean_squared_error mean_not_sum
import numpy as np


def mean_squared_error(outputs, targets):
    """outputs: N lists of M_L Values (one list per sample); targets: N rows of M_L numbers.
    Returns the Value E = (1/N) * sum over samples n and outputs q of (y[n][q] - d[n][q]) ** 2."""
    ### BEGIN SOLUTION
    total = 0.0
    for y_n, d_n in zip(outputs, targets):
        for y, d in zip(y_n, d_n):
            total = total + (y - d) ** 2
    return total / (len(outputs) * len(outputs[0]))
    ### END SOLUTION
