# caught by: adam_update mutates_input
import numpy as np


def adam_update(w, grad, m, v, t, learning_rate, beta1, beta2, eps):
    """One Adam step for one parameter array, at step number t = 1, 2, 3, ...

    m <- beta1 m + (1 - beta1) grad, v <- beta2 v + (1 - beta2) grad**2, the bias-corrected
    m_hat = m / (1 - beta1**t), v_hat = v / (1 - beta2**t), and
    w <- w - learning_rate * m_hat / (sqrt(v_hat) + eps). Returns (new w, new m, new v).
    """
    ### BEGIN SOLUTION
    m *= beta1
    m += (1.0 - beta1) * grad
    v = beta2 * v + (1.0 - beta2) * grad ** 2
    m_hat = m / (1.0 - beta1 ** t)
    v_hat = v / (1.0 - beta2 ** t)
    return w - learning_rate * m_hat / (np.sqrt(v_hat) + eps), m, v
    ### END SOLUTION
