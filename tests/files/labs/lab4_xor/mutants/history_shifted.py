# caught by: train_three_epochs history_shifted
import numpy as np


def train(network, x, d, learning_rate, epochs):
    """Full-batch gradient descent on the mean squared error; updates the network in place.

    Returns loss_history, a list of `epochs` floats: loss_history[t] is the loss before update t.
    """
    ### BEGIN SOLUTION
    loss = SquaredError()
    loss_history = []
    for epoch in range(epochs):
        loss.forward(network.forward(x), d)
        network.backward(loss.backward())
        network.step(learning_rate)
        loss_history.append(loss.forward(network.forward(x), d))   # after the update
    return loss_history
    ### END SOLUTION
