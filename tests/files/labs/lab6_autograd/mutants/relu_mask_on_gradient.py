# caught by: value_relu relu_mask_wrong
import numpy as np


class Value:
    """A number that remembers how it was computed, for reverse-mode differentiation."""

    def __init__(self, data, parents=()):
        self.data = float(data)         # the value
        self.grad = 0.0                 # dE/d(this value), filled in by backward()
        self.parents = tuple(parents)   # the Values this one was computed from
        self._backward = lambda: None   # local rule: adds to the parents' grad (leaves: nothing)

    def __repr__(self):
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    def __add__(self, other):
        """self + other, where other is a Value or a number."""
        ### BEGIN SOLUTION
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def __mul__(self, other):
        """self * other, where other is a Value or a number."""
        ### BEGIN SOLUTION
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def __pow__(self, exponent):
        """self ** exponent, where exponent is a number (int or float), not a Value."""
        ### BEGIN SOLUTION
        out = Value(self.data ** exponent, (self,))

        def _backward():
            self.grad += exponent * self.data ** (exponent - 1) * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def exp(self):
        """e ** self."""
        ### BEGIN SOLUTION
        out = Value(math.exp(self.data), (self,))

        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def log(self):
        """The natural logarithm of self (self.data > 0)."""
        ### BEGIN SOLUTION
        out = Value(math.log(self.data), (self,))

        def _backward():
            self.grad += out.grad / self.data
        out._backward = _backward
        return out
        ### END SOLUTION

    def tanh(self):
        """tanh(self)."""
        ### BEGIN SOLUTION
        out = Value(math.tanh(self.data), (self,))

        def _backward():
            self.grad += (1.0 - out.data ** 2) * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def relu(self):
        """max(self, 0)."""
        ### BEGIN SOLUTION
        out = Value(max(self.data, 0.0), (self,))

        def _backward():
            self.grad += (out.grad > 0) * out.grad
        out._backward = _backward
        return out
        ### END SOLUTION

    def __neg__(self):
        """-self."""
        ### BEGIN SOLUTION
        return self * -1
        ### END SOLUTION

    def __sub__(self, other):
        """self - other."""
        ### BEGIN SOLUTION
        return self + (-other)
        ### END SOLUTION

    def __truediv__(self, other):
        """self / other."""
        ### BEGIN SOLUTION
        return self * other ** -1
        ### END SOLUTION

    def __radd__(self, other):
        """other + self, where other is a number (Python calls this for 3 + v)."""
        ### BEGIN SOLUTION
        return self + other
        ### END SOLUTION

    def __rmul__(self, other):
        """other * self, where other is a number (2 * v)."""
        ### BEGIN SOLUTION
        return self * other
        ### END SOLUTION

    def __rsub__(self, other):
        """other - self, where other is a number (1 - v)."""
        ### BEGIN SOLUTION
        return (-self) + other
        ### END SOLUTION

    def __rtruediv__(self, other):
        """other / self, where other is a number (1 / v)."""
        ### BEGIN SOLUTION
        return self ** -1 * other
        ### END SOLUTION

    def backward(self, grad=1.0):
        """Sets self.grad = grad (1 when self is the loss E) and runs the local rule of every
        node of the graph behind self, each after all the nodes that use it. Adds to the grad
        of every node; resets nothing."""
        ### BEGIN SOLUTION
        order, visited, stack = [], set(), [(self, False)]
        while stack:                  # a depth-first search without recursion
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)    # after all its parents: a topological order
            elif node not in visited:
                visited.add(node)
                stack.append((node, True))
                stack.extend((parent, False) for parent in node.parents)
        self.grad = grad
        for node in reversed(order):  # every node after all its users
            node._backward()
        ### END SOLUTION
