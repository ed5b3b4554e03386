"""coursetools.figures.value_graph: the drawing of a graph with a value and a gradient per node."""
import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

from coursetools.figures import value_graph  # noqa: E402


class Value:
    """Lab 6's design in brief: parents, and a closure rule made by each operator."""

    def __init__(self, data, parents=()):
        self.data, self.grad, self.parents = float(data), 0.0, tuple(parents)
        self._backward = lambda: None

    def __add__(self, other):
        out = Value(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        out = Value(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out


class TapeNode:
    """Chapter 2's tape: parents as pairs (node, local derivative), the number in ``value``."""

    def __init__(self, value, parents=()):
        self.value, self.parents, self.grad = value, list(parents), 0.0


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def test_every_node_is_a_box_with_its_value_and_gradient_and_every_use_an_arrow():
    x, y = Value(1.5), Value(-2.0)
    f = x * y + x
    f.grad, x.grad, y.grad = 1.0, -1.0, 1.5
    fig = value_graph.plot_graph(f, names={x: "x", y: "y"}, title="f = xy + x")
    ax = fig.axes[0]
    assert sum(isinstance(p, FancyBboxPatch) for p in ax.patches) == 4
    texts = _texts(fig)
    for expected in ("x", "y", "×", "+", "1.5", "-2", "-3", "-1.5", "f = xy + x"):
        assert expected in texts, expected
    red = [t.get_text() for t in ax.texts if t.get_color() == "tab:red"]
    assert sorted(red) == sorted(["1", "-1", "1.5", "0"])          # the gradients, one per node
    arrows = [c for c in ax.get_children() if type(c).__name__ == "Annotation" and c.get_text() == ""]
    assert len(arrows) == 4                                         # x->*, y->*, *->+, x->+
    assert fig.get_size_inches()[0] <= 5.5


def test_operations_come_from_op_or_from_the_operator_that_made_the_rule():
    x = Value(2.0)
    assert value_graph.graph_operation(x) == ""                     # a leaf: the constructor's rule
    assert value_graph.graph_operation(x * x) == "×"
    assert value_graph.graph_operation(x + x) == "+"
    x._op = "tanh"
    assert value_graph.graph_operation(x) == "tanh"
    assert value_graph.graph_operation(TapeNode(1.0)) == ""


def test_tape_nodes_with_pairs_of_parent_and_local_derivative_are_drawn():
    a, b = TapeNode(2.0), TapeNode(3.0)
    c = TapeNode(6.0, [(a, 3.0), (b, 2.0)])
    assert value_graph.graph_parents(c) == [a, b]
    fig = value_graph.plot_graph(c, names={a: "a", b: "b", c: "×"})
    assert {"a", "b", "×", "6", "2", "3"} <= set(_texts(fig))


def test_ranks_are_longest_paths_to_the_output_and_need_no_recursion():
    x = Value(0.5)
    chain = x
    for _ in range(5000):                        # deeper than Python's recursion limit
        chain = chain * Value(1.0)
    order, rank = value_graph.graph_ranks(chain)
    assert rank[id(chain)] == 0 and rank[id(x)] == 5000 and len(order) == 10001
    # a value used at two depths sits at the longest distance: x feeds x*y (rank 1) and f (rank 0)
    y = Value(1.0)
    f = x * y + x
    _, rank = value_graph.graph_ranks(f)
    assert rank[id(x)] == 2 and rank[id(y)] == 2


def test_the_order_lists_every_node_after_all_its_parents():
    # x is a parent of f and of x * y; listed first as f's parent it must still precede x * y
    x, y = Value(1.0), Value(2.0)
    f = x + x * y
    order, _ = value_graph.graph_ranks(f)
    place = {id(node): k for k, node in enumerate(order)}
    assert len(order) == 4
    for node in order:
        assert all(place[id(p)] < place[id(node)] for p in value_graph.graph_parents(node))


def test_a_deep_graph_is_drawn_top_to_bottom_within_the_width():
    x = Value(1.0)
    out = x
    for _ in range(7):
        out = out + Value(1.0)
    fig = value_graph.plot_graph(out)
    width, height = fig.get_size_inches()
    assert width <= 5.5 < height


def test_a_graph_too_wide_for_readable_labels_is_refused():
    total = Value(6.0, parents=[Value(1.0) for _ in range(6)])    # six leaves side by side
    for _ in range(5):                                               # and deeper than 5.5 inches
        total = total + Value(1.0)
    with pytest.raises(ValueError, match="does not fit"):
        value_graph.plot_graph(total)
