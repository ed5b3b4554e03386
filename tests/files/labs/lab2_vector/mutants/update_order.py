# caught by: train_three_steps update_order
import numpy as np


def train(x, y_true, w1, w2, learning_rate, iterations):
    loss_history = []
    for t in range(iterations):
        loss_history.append(loss(forward(x, w1, w2)[2], y_true))
        _, grad_w2 = backward(x, w1, w2, y_true)
        w2 = w2 - learning_rate * grad_w2
        grad_w1, _ = backward(x, w1, w2, y_true)   # uses the updated w2
        w1 = w1 - learning_rate * grad_w1
    return w1, w2, loss_history
