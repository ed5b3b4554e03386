def forward(x, w1, w2):
    # pre-activation of the hidden unit
    u = w1*x
    if u > 0: z = u
    else: z = 0.0
    # output (no ReLU)
    y = w2*z
    return u, z, y


def loss(y2_pred, y_true):
    d = y2_pred-y_true
    return float(d*d)   # squared error


def backward(x, w1, w2, y_true):
    u, z, y = forward(x, w1, w2)
    delta = 2*(y-y_true)
    g2 = delta*z
    if u <= 0:
        return 0.0, g2
    g1 = delta*w2*x
    return g1, g2


def train(x, y_true, w1, w2, learning_rate, iterations):
    losses = []
    i = 0
    while i < iterations:
        pred = forward(x, w1, w2)[2]
        losses.append(loss(pred,
                           y_true))
        d1, d2 = backward(x, w1, w2, y_true)
        w1 -= learning_rate*d1
        w2 -= learning_rate*d2
        i += 1
    return w1, w2, losses
