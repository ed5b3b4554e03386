# caught by: backward_inactive_unit relu_mask_missing
import numpy as np


def backward(x, w1, w2, y_true):
    y1, y1_relu, y2_pred = forward(x, w1, w2)
    grad_y2_pred = 2.0 * (y2_pred - y_true)
    grad_w2 = grad_y2_pred * y1_relu
    grad_y1 = grad_y2_pred * w2
    return grad_y1 * x, grad_w2
