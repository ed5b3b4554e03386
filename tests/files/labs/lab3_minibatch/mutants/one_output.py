# caught by: backward_batch wrong_type
import numpy as np


def backward(x, w1, w2, y_true):
    y1, y1_relu, y2_pred = forward(x, w1, w2)
    grad_y2_pred = 2.0 * (y2_pred - y_true)
    grad_w2 = y1_relu.T @ grad_y2_pred
    grad_y1 = (grad_y2_pred @ w2.T) * (y1 > 0)
    grad_w1 = x.T @ grad_y1
    return grad_w1
