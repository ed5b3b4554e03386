# caught by: train_one_step mutates_input
import numpy as np


def train(x, y_true, w1, w2, learning_rate, iterations):
    loss_history = []
    for t in range(iterations):
        loss_history.append(loss(forward(x, w1, w2)[2], y_true))
        grad_w1, grad_w2 = backward(x, w1, w2, y_true)
        w1 -= learning_rate * grad_w1      # changes the caller's array
        w2 -= learning_rate * grad_w2
    return w1, w2, loss_history
