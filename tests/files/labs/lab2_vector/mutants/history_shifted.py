# caught by: train_three_steps history_shifted
import numpy as np


def train(x, y_true, w1, w2, learning_rate, iterations):
    loss_history = []
    for t in range(iterations):
        grad_w1, grad_w2 = backward(x, w1, w2, y_true)
        w1 = w1 - learning_rate * grad_w1
        w2 = w2 - learning_rate * grad_w2
        loss_history.append(loss(forward(x, w1, w2)[2], y_true))   # after the update
    return w1, w2, loss_history
