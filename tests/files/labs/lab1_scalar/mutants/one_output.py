# caught by: backward_active_unit wrong_type
import numpy as np


def backward(x, w1, w2, y_true):
    y1, y1_relu, y2_pred = forward(x, w1, w2)
    grad_y2_pred = 2.0 * (y2_pred - y_true)
    grad_w2 = grad_y2_pred * y1_relu
    grad_y1 = grad_y2_pred * w2 if y1 > 0 else 0.0
    return grad_y1 * x
