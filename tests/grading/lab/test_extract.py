"""coursetools.grading.lab.extract: only definitions leave a student's notebook."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from coursetools import cells as cellmod
from coursetools.grading.lab import extract
from tests.conftest import ROOT

RESERVED = frozenset({"check", "graded", "summary", "compare"})


def kept(source: str) -> extract.CellCode:
    return extract.extract_cell(source, reserved=RESERVED)


def test_definitions_constants_and_imports_are_kept():
    code = kept('''
import math
from functools import reduce
LR = 0.1
SIZES = (3, -4, [1.5, 2])
relu = lambda u: max(u, 0.0)
activation = relu
pi = math.pi
class Layer:
    size = 3
def forward(x):
    return relu(x) * LR
async def later():
    pass
''')
    assert code.defines == ["math", "reduce", "LR", "SIZES", "relu", "activation", "pi",
                            "Layer", "forward", "later"]
    assert not code.skipped and code.syntax_error is None
    namespace = {}
    exec(code.source, namespace)
    assert namespace["forward"](2.0) == pytest.approx(0.2)


@pytest.mark.parametrize("statement, what", [
    ("train(x, 1000)", "a call to train()"),
    ("for i in range(10**9):\n    pass", "a for loop"),
    ("while True:\n    pass", "a while loop"),
    ("history = train(x, 1000)", "an assignment to history"),
    ("x = np.ones((3, 3)) @ load()", "an assignment to x"),
    ("data = np.random.default_rng(0).normal(size=(10**6, 100))", "an assignment to data"),
    ("big = np.ones((10**6, 10**6))", "an assignment to big"),
    ("huge = 10 ** 10 ** 10", "an assignment to huge"),
    ("f = open('secret')", "an assignment to f"),
    ("np.allclose = lambda *a, **k: True", "an assignment to np.allclose"),
    ("import builtins\nbuiltins.print = None", "an assignment to builtins.print"),
    ("results[0] = 1", "an assignment to results[0]"),
    ("w += 1", "an in-place update"),
    ("with open('x') as f:\n    pass", "a with block"),
    ("assert False", "an assert"),
    ("if __name__ == '__main__':\n    main()", "an if block"),
    ("get_ipython().set_custom_exc((Exception,), print)",
     "a call to get_ipython().set_custom_exc()"),
    ("%matplotlib inline", "an IPython magic or shell command"),
    ("!pip install numpy", "an IPython magic or shell command"),
    ("plt.plot([1, 2]); plt.show()", "a call to plt.plot()"),
])
def test_top_level_code_is_left_out_and_described(statement, what):
    code = kept(statement)
    assert "for" not in code.source and "while" not in code.source and "=" not in code.source
    assert any(s.what.startswith(what) for s in code.skipped), code.skipped


def test_official_names_are_never_rebound():
    code = kept('''
def check(*a, **k):
    pass
class graded:
    pass
compare = None
from coursetools_checks import summary
import numpy as np
def forward(x):
    return x
''')
    assert code.defines == ["np", "forward"]
    reasons = [s.what for s in code.skipped]
    assert "a definition of check (provided by the official tests)" in reasons
    assert "a definition of graded (provided by the official tests)" in reasons
    assert "an assignment to compare (provided by the official tests)" in reasons
    assert "an import that rebinds summary (provided by the official tests)" in reasons
    assert len(reasons) == 4


def test_failing_import_does_not_take_the_cell_down():
    code = kept("from google.colab import drive\nimport math\ndef f():\n    return math.pi")
    namespace = {}
    exec(code.source, namespace)
    assert namespace["f"]() == pytest.approx(3.14159, rel=1e-5)
    assert "drive" not in namespace


def test_try_and_if_blocks_are_kept_when_every_branch_would_be():
    code = kept("try:\n    import scipy\nexcept ImportError:\n    scipy = None")
    assert code.defines == ["scipy"] and not code.skipped
    code = kept("try:\n    import scipy\nexcept ImportError:\n    pass")
    assert code.defines == ["scipy"] and not code.skipped
    code = kept("if True:\n    def f():\n        return 1\nelse:\n    def f():\n        return 2")
    assert code.defines == ["f"] and not code.skipped
    for dropped in ("try:\n    train()\nexcept Exception:\n    pass",
                    "if run_all():\n    def f():\n        return 1",
                    "if True:\n    print('x')\n    def f():\n        return 1"):
        code = kept(dropped)
        assert not code.statements and code.skipped, dropped
    code = kept("if True:\n    def check():\n        return 1")
    assert not code.statements and "provided by the official tests" in code.skipped[0].what


def test_syntax_error_skips_the_cell_and_says_where():
    code = kept("def f(:\n    return 1\ndef g():\n    return 2")
    assert code.source == "" and code.defines == []
    assert code.syntax_error.startswith("line 1:")


def test_magics_are_transformed_before_parsing():
    code = kept("%matplotlib inline\n!pip install x\ndef f():\n    return 1\nf?")
    assert code.defines == ["f"] and code.syntax_error is None


def test_future_imports_stay_first():
    code = kept("import math\nfrom __future__ import annotations\ndef f(x: Later) -> Later:\n"
                "    return x")
    assert code.source.startswith("from __future__ import annotations")
    exec(code.source, {})


def test_the_student_lab_defines_all_contract_functions_and_runs_nothing():
    nb = nbformat.read(ROOT / "labs" / "lab1_scalar.ipynb", as_version=4)
    cells = extract.extract_notebook(nb, reserved=RESERVED, skip=cellmod.is_helper_cell)
    assert {"forward", "loss", "backward", "train"} <= extract.defined_names(cells)
    helper_index = next(i for i, c in enumerate(nb.cells) if cellmod.is_helper_cell(c.source))
    assert helper_index not in {c.index for c in cells}
    for cell in cells:   # no test cell, no training run survives
        assert "graded(" not in cell.source and "train(" not in cell.source.split("def ")[0]


def test_top_level_names_of_a_trusted_cell():
    names = extract.top_level_names("import numpy as np\nfrom x import a as b\ndef f():\n    pass\n"
                                    "class C:\n    pass\nk, (m, n) = 1, (2, 3)\nz: int = 3\nf()")
    assert names == {"np", "b", "f", "C", "k", "m", "n", "z"}


def test_aliases_of_left_out_variables_are_left_out_too():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import numpy as np\ndef relu(u):\n    return u"),
                nbformat.v4.new_code_cell("for step in range(3):\n    w = step\nw_final = w\n"
                                          "activation = relu\nmaximum = max\nmean = np.mean")]
    cells = extract.extract_notebook(nb, reserved=RESERVED)
    assert cells[1].defines == ["activation", "maximum", "mean"]
    assert "w_final" in " ".join(s.what for s in cells[1].skipped)
    namespace = {}
    for cell in cells:
        exec(cell.source, namespace)   # the kept code runs on its own


def test_classes_and_their_methods_are_recorded():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "class Base:\n    def forward(self, x):\n        return x\n"
        "class Linear(Base):\n    def backward(self, g):\n        return g")]
    cells = extract.extract_notebook(nb)
    assert extract.defined_methods(cells, "Linear") == {"forward", "backward"}
    assert extract.defined_methods(cells, "Missing") == set()



# ----------------------------------------------------------------------------- honest notebooks
@pytest.mark.parametrize("magic", ["%%time", "%%capture", "%%timeit -n 1", "%%capture out"])
def test_python_cell_magics_are_unwrapped(magic):
    code = kept(f"{magic}\ndef forward(x):\n    return 2 * x\n")
    assert code.defines == ["forward"] and code.syntax_error is None


def test_other_cell_magics_keep_their_body_out():
    code = kept("%%bash\necho 'def forward(x): return x'\n")
    assert code.defines == [] and code.skipped


@pytest.mark.parametrize("statement, names", [
    ("SCALE = 1 / 2", ["SCALE"]),
    ("N_IN = 3\nSHAPE = (N_IN, 3)", ["N_IN", "SHAPE"]),
    ("ANGLE = np.pi / 4", ["ANGLE"]),
    ("W0 = np.array([[0.1, -0.2], [0.3, 0.0]])", ["W0"]),
    ("STEP = 2 ** -3", ["STEP"]),
    ("RNG = np.random.default_rng(0)", ["RNG"]),
    ("EPS = -1e-8\nTOL = abs(EPS) * 10", ["EPS", "TOL"]),
    ("SIZES = [2, 4, 1]\nDEPTH = len(SIZES)", ["SIZES", "DEPTH"]),
])
def test_simple_constant_expressions_are_kept_and_run(statement, names):
    code = extract.extract_cell("import numpy as np\n" + statement, reserved=RESERVED, known=set())
    assert code.defines == ["np", *names]
    namespace = {}
    exec(code.source, namespace)
    assert all(name in namespace for name in names)


def test_a_1000_term_expression_is_graded_not_a_crash():
    body = " + ".join(f"{i} * x" for i in range(1000))
    code = kept(f"def poly(x):\n    return {body}\n")
    assert code.defines == ["poly"]
    namespace = {}
    exec(code.source, namespace)
    assert namespace["poly"](1) == sum(range(1000))


def _notebook(*cells_with_counts):
    nb = nbformat.v4.new_notebook()
    for source, count in cells_with_counts:
        cell = nbformat.v4.new_code_cell(source)
        cell.execution_count = count
        nb.cells.append(cell)
    return nb


@pytest.mark.parametrize("counts, winner", [
    ((3, 7), 2),        # the later cell ran last
    ((7, 3), 1),        # the earlier cell ran last: the student fixed it above
    ((None, 4), 2),     # a cell never run is older than any cell that ran
    ((5, None), 1),
    ((None, None), 2),  # nothing ran: the later cell wins
])
def test_a_function_defined_twice_is_graded_as_the_student_last_ran_it(counts, winner):
    nb = _notebook(("def forward(x):\n    return 1", counts[0]),
                   ("def forward(x):\n    return 2", counts[1]))
    codes = extract.extract_notebook(nb)
    (note,) = extract.redefinitions(codes, ["forward"])
    namespace = {}
    for code in codes:
        exec(code.source, namespace)
    assert namespace["forward"](0) == winner
    assert f"of cell {winner} (the one you ran last)" in note and "cells 1, 2" in note


def test_a_skeleton_is_recognised_and_a_started_function_is_not():
    skeleton = kept('def f(x):\n    """doc"""\n    # TODO: your code here\n'
                    '    raise NotImplementedError("f: not implemented yet")\n')
    started = kept('def f(x):\n    y = 2 * x\n    raise NotImplementedError("later")\n')
    assert extract.is_skeleton(skeleton.statements[0])
    assert not extract.is_skeleton(started.statements[0])
    cls = kept("class L:\n    def forward(self, x):\n        raise NotImplementedError\n"
               "    def backward(self, g):\n        return g\n")
    assert extract.is_skeleton(cls.statements[0], ["forward"])
    assert not extract.is_skeleton(cls.statements[0], ["forward", "backward"])


def test_a_malformed_cell_source_is_empty_text():
    assert extract.cell_text({"cell_type": "code", "source": 42}) == ""
    assert extract.cell_text({"cell_type": "code", "source": ["a", 3, "b"]}) == "ab"
