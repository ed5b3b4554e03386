# caught by: train_two_epochs not_finite
import numpy as np


def train(params, x, d, optimiser, learning_rate, batch_size, epochs, rng, after_epoch=None):
    """Mini-batch training on the mean softmax cross-entropy; returns (params, loss_history).

    Each epoch draws order = rng.permutation(N) and visits the batches order[0:batch_size],
    order[batch_size:2 * batch_size], ... (the last one may be smaller). For each batch: forward,
    loss (appended to loss_history before the update), backward, and one update of every
    parameter array by `optimiser`: "sgd" (w - learning_rate * grad), "momentum"
    (momentum_update with momentum 0.9, velocities starting at 0) or "adam" (adam_update with
    beta1 = 0.9, beta2 = 0.999, eps = 1e-8, m and v starting at 0, and t = 1 at the first update
    of the run, one more at every batch). After every epoch, if `after_epoch` is given, it is
    called as after_epoch(params). The params passed in are not changed: returns new ones.
    """
    ### BEGIN SOLUTION
    arrays = [p for pair in params for p in pair]
    first = [np.zeros_like(p) for p in arrays]      # velocities, or Adam's m
    second = [np.zeros_like(p) for p in arrays]     # Adam's v
    loss_history, t = [], 0
    for epoch in range(epochs):
        order = rng.permutation(x.shape[0])
        for start in range(0, x.shape[0], batch_size):
            batch = order[start:start + batch_size]
            pairs = [(arrays[2 * l], arrays[2 * l + 1]) for l in range(len(params))]
            u, cache = forward(pairs, x[batch])
            E, grad_u = softmax_cross_entropy(u, d[batch])
            loss_history.append(E)
            grads = [g for pair in backward(pairs, cache, grad_u) for g in pair]
            for i, grad in enumerate(grads):
                if optimiser == "sgd":
                    arrays[i] = arrays[i] - learning_rate * grad
                elif optimiser == "momentum":
                    arrays[i], first[i] = momentum_update(arrays[i], grad, first[i],
                                                          learning_rate, 0.9)
                elif optimiser == "adam":
                    arrays[i], first[i], second[i] = adam_update(
                        arrays[i], grad, first[i], second[i], t, learning_rate, 0.9, 0.999, 1e-8)
            t += 1
        if after_epoch is not None:
            after_epoch([(arrays[2 * l], arrays[2 * l + 1]) for l in range(len(params))])
    return [(arrays[2 * l], arrays[2 * l + 1]) for l in range(len(params))], loss_history
    ### END SOLUTION
