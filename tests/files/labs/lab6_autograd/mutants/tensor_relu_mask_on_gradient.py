# caught by: tensor_relu_backward relu_mask_missing
import numpy as np


class Tensor(Value):
    """An array that remembers how it was computed. It inherits backward() from Value: the
    reverse topological order does not care whether data holds a number or an array."""

    def __init__(self, data, parents=()):
        super().__init__(0.0, parents)
        self.data = np.array(data, dtype=float)   # a copy: the caller's array is never changed
        self.grad = np.zeros_like(self.data)

    def __repr__(self):
        return f"Tensor(shape={self.data.shape})"

    def __matmul__(self, other):
        """The matrix product self @ other of two Tensors."""
        ### BEGIN SOLUTION
        out = Tensor(self.data @ other.data, (self, other))

        def _backward():
            self.grad += out.grad @ other.data.T
            other.grad += self.data.T @ out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def __add__(self, other):
        """self + other for two Tensors, with numpy's broadcasting (e.g. (N, M) + (1, M))."""
        ### BEGIN SOLUTION
        out = Tensor(self.data + other.data, (self, other))

        def _backward():
            for operand in (self, other):
                grad = out.grad
                while grad.ndim > operand.data.ndim:   # axes that broadcasting put in front
                    grad = grad.sum(axis=0)
                for axis, size in enumerate(operand.data.shape):
                    if size == 1:                       # axes of length 1 that were stretched
                        grad = grad.sum(axis=axis, keepdims=True)
                operand.grad += grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def relu(self):
        """max(self, 0), entry by entry."""
        ### BEGIN SOLUTION
        out = Tensor(np.maximum(self.data, 0.0), (self,))

        def _backward():
            self.grad += out.grad * (out.grad > 0)
        out._backward = _backward
        return out
        ### END SOLUTION

    def mean_squared_error(self, targets):
        """self: the outputs y, shape (N, M); targets d: an array (N, M). Returns the Tensor
        E = (1/N) * sum over n and q of (y[n, q] - d[n, q]) ** 2 (a number, shape ())."""
        ### BEGIN SOLUTION
        diff = self.data - np.asarray(targets, dtype=float)
        n = self.data.shape[0]
        out = Tensor(np.sum(diff ** 2) / n, (self,))

        def _backward():
            self.grad += out.grad * 2.0 * diff / n
        out._backward = _backward
        return out
        ### END SOLUTION
