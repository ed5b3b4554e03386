import numpy as np


def forward(x, w1, w2):
    u1 = np.dot(w1, x)
    z1 = np.maximum(u1, 0.0)
    return u1, z1, np.dot(w2, z1)


def loss(y2_pred, y_true):
    return float(np.square(y_true - y2_pred))


def backward(x, w1, w2, y_true):
    u1, z1, y2 = forward(x, w1, w2)
    delta2 = 2.0 * (y2 - y_true)
    delta1 = delta2 * w2 * np.heaviside(u1, 0.0)
    return delta1 * x, delta2 * z1


def train(x, y_true, w1, w2, learning_rate, iterations):
    losses = [0.0] * iterations
    for t in range(iterations):
        losses[t] = loss(forward(x, w1, w2)[-1], y_true)
        g1, g2 = backward(x, w1, w2, y_true)
        w1, w2 = w1 - learning_rate * g1, w2 - learning_rate * g2
    return w1, w2, losses
