def forward(x, w1, w2):
    hidden = w1 * x
    if hidden > 0:
        active = hidden
    else:
        active = 0.0
    output = w2 * active
    return hidden, active, output


def loss(y2_pred, y_true):
    difference = y2_pred - y_true
    return float(difference * difference)


def backward(x, w1, w2, y_true):
    hidden, active, output = forward(x, w1, w2)
    error_signal = 2 * (output - y_true)
    gradient_second = error_signal * active
    if hidden <= 0:
        return 0.0, gradient_second
    gradient_first = error_signal * w2 * x
    return gradient_first, gradient_second


def train(x, y_true, w1, w2, learning_rate, iterations):
    history = []
    step = 0
    while step < iterations:
        current = forward(x, w1, w2)[2]
        history.append(loss(current, y_true))
        change_first, change_second = backward(x, w1, w2, y_true)
        w1 -= learning_rate * change_first
        w2 -= learning_rate * change_second
        step += 1
    return w1, w2, history
