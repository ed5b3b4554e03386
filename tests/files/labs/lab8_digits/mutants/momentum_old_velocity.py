# caught by: momentum_update values
import numpy as np


def momentum_update(w, grad, velocity, learning_rate, momentum):
    """One step of gradient descent with momentum for one parameter array.

    velocity <- momentum * velocity - learning_rate * grad, then w <- w + velocity.
    Returns (new w, new velocity); the arrays passed in are not changed.
    """
    ### BEGIN SOLUTION
    w = w + velocity
    velocity = momentum * velocity - learning_rate * grad
    return w, velocity
    ### END SOLUTION
