"""plot_graph: a computational graph drawn with matplotlib, its value and gradient in every node.

The picture of micrograd's ``draw_dot``, without the graphviz program: it works offline, on the
site and in Colab. It reads any node object that has a value (``data`` or ``value``), a ``grad``
and its parents (``parents`` or ``_prev``; an entry may be a pair (parent, local derivative), as
on chapter 2's tape). The operation that made a node comes from its ``_op`` if it has one, else
from the name of the operator method that created its ``_backward`` rule (``__mul__`` is shown
as ×), else nothing; ``names`` overrides it ({node: "w_1"}).
"""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch

VERSION = 1

OPERATION_SYMBOLS = {"__add__": "+", "__radd__": "+", "__mul__": "×", "__rmul__": "×",
                     "__pow__": "**", "__neg__": "−", "__sub__": "−", "__rsub__": "−",
                     "__truediv__": "/", "__rtruediv__": "/"}


def graph_parents(node):
    """The nodes that ``node`` was computed from (pairs (parent, local) give their parent)."""
    found = getattr(node, "parents", None)
    if found is None:
        found = getattr(node, "_prev", ())
    return [p[0] if isinstance(p, tuple) else p for p in found]


def graph_operation(node):
    """The operation that made ``node`` as short text ('' for a leaf or an unknown rule)."""
    op = getattr(node, "_op", None)
    if op is not None:
        return str(op)
    rule = getattr(node, "_backward", None)
    parts = getattr(rule, "__qualname__", "").split(".")
    if "<locals>" not in parts:
        return ""
    maker = parts[parts.index("<locals>") - 1]
    if maker == "__init__":           # the do-nothing rule a leaf gets from its constructor
        return ""
    return OPERATION_SYMBOLS.get(maker, maker.strip("_"))


def graph_ranks(output):
    """Each node's rank: the length of the longest path from it to ``output`` (which has 0).

    Iterative (no recursion limit), and on purpose not the lab's depth-first order: every node
    is found from the output, then Kahn's algorithm walks back from the output, placing a node
    once all the nodes that use it are placed (its rank is final then).
    """
    found, users, frontier = {id(output)}, {}, [output]
    while frontier:
        for parent in graph_parents(frontier.pop()):
            users[id(parent)] = users.get(id(parent), 0) + 1
            if id(parent) not in found:
                found.add(id(parent))
                frontier.append(parent)
    rank, ready, order = {id(output): 0}, [output], []
    while ready:
        node = ready.pop()
        order.append(node)
        for parent in graph_parents(node):
            rank[id(parent)] = max(rank.get(id(parent), 0), rank[id(node)] + 1)
            users[id(parent)] -= 1
            if users[id(parent)] == 0:
                ready.append(parent)
    order.reverse()                   # every node after all its parents
    return order, rank


def _number(v):
    return f"{v:.4g}" if np.isfinite(v) else str(v)


def plot_graph(output, names=None, title=None, box=(1.0, 0.68), gap=(0.22, 0.14), max_width=5.5):
    """Draw the graph behind ``output``: one box per node with its name or operation, its value
    (black) and its gradient (red); an arrow from each parent to each node computed from it.
    Inputs on the left, the output on the right; when that would be wider than ``max_width``
    inches, inputs on top and the output at the bottom (a ValueError if that is too wide as
    well: labels must stay readable). Returns the figure."""
    names = {id(k): v for k, v in (names or {}).items()}
    order, rank = graph_ranks(output)
    depth = max(rank.values()) + 1
    ranks = [[] for _ in range(depth)]
    for node in order:
        ranks[rank[id(node)]].append(node)
    users = {}
    for node in order:
        for parent in graph_parents(node):
            users.setdefault(id(parent), []).append(node)
    slot = {id(output): 0.0}           # place each rank by the mean place of its users
    for r in range(1, depth):
        ranks[r].sort(key=lambda n: np.mean([slot[id(u)] for u in users[id(n)]]))
        for k, node in enumerate(ranks[r]):
            slot[id(node)] = k - (len(ranks[r]) - 1) / 2
    across = max(len(level) for level in ranks)
    horizontal = depth * (box[0] + gap[0]) <= max_width
    if not horizontal and across * (box[0] + gap[0]) > max_width:
        raise ValueError(f"a graph {depth} nodes deep and {across} nodes wide does not fit in "
                         f"{max_width} inches with readable labels: draw a smaller part of it")
    step_along = box[0] + gap[0] if horizontal else box[1] + gap[1] + 0.25
    step_across = box[1] + gap[1] if horizontal else box[0] + gap[0]
    length, breadth = depth * step_along, across * step_across
    size = (length, breadth) if horizontal else (breadth, length)
    size = (size[0], size[1] + (0.35 if title else 0.0))
    fig = plt.figure(figsize=size)
    ax = fig.add_axes((0, 0, 1, 1), xlim=(0, size[0]), ylim=(0, size[1]))
    ax.set_axis_off()

    def centre(node):
        along = (depth - 1 - rank[id(node)] + 0.5) * step_along
        spread = (across / 2 + slot[id(node)]) * step_across
        return (along, breadth - spread) if horizontal else (spread, length - along)

    half = np.array(box) / 2
    for node in order:
        for parent in graph_parents(node):
            (x0, y0), (x1, y1) = centre(parent), centre(node)
            start = (x0 + half[0], y0) if horizontal else (x0, y0 - half[1])
            end = (x1 - half[0], y1) if horizontal else (x1, y1 + half[1])
            ax.annotate("", end, start, arrowprops=dict(arrowstyle="-|>", color="0.55",
                                                         shrinkA=0, shrinkB=0))
    for node in order:
        x, y = centre(node)
        ax.add_patch(FancyBboxPatch((x - half[0], y - half[1]), box[0], box[1],
                                    boxstyle="round,pad=0.02", fc="0.95", ec="0.35"))
        value = getattr(node, "data", getattr(node, "value", np.nan))
        heading = names.get(id(node), graph_operation(node))
        ax.text(x, y + 0.19, heading, ha="center", va="center")
        ax.text(x, y, _number(value), ha="center", va="center")
        ax.text(x, y - 0.19, _number(node.grad), ha="center", va="center", color="tab:red")
    if title:
        ax.text(size[0] / 2, size[1] - 0.18, title, ha="center", va="center")
    return fig
