# caught by: train_two_epochs values
import numpy as np


def train(network, x, d, learning_rate, momentum, batch_size, epochs, rng):
    """Mini-batch SGD with momentum on the mean cross-entropy; updates the network in place.

    Each epoch draws order = rng.permutation(N) and visits the batches order[0:batch_size],
    order[batch_size:2 * batch_size], ... (the last one may be smaller). Returns loss_history:
    the loss of every mini-batch before its update, in order (a list).
    """
    ### BEGIN SOLUTION
    loss = SoftmaxCrossEntropy()
    loss_history = []
    for epoch in range(epochs):
        order = np.arange(x.shape[0])
        for start in range(0, x.shape[0], batch_size):
            batch = order[start:start + batch_size]
            loss_history.append(loss.forward(network.forward(x[batch]), d[batch]))
            network.backward(loss.backward())
            network.step(learning_rate, momentum)
    return loss_history
    ### END SOLUTION
