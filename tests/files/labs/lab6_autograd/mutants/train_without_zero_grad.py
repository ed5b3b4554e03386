# caught by: train_four_epochs update_order
import numpy as np


def train(network, x, d, learning_rate, epochs):
    """Full-batch gradient descent on the mean squared error; changes the network's parameters.

    Returns loss_history, a list of `epochs` floats: loss_history[t] is E before update t.
    """
    ### BEGIN SOLUTION
    parameters = network.parameters()
    loss_history = []
    for epoch in range(epochs):
        outputs = [network(x_n) for x_n in x]
        loss = mean_squared_error(outputs, d)
        loss_history.append(loss.data)
        loss.backward()
        for p in parameters:
            p.data -= learning_rate * p.grad
    return loss_history
    ### END SOLUTION
