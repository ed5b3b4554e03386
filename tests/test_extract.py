"""coursetools.grading.extract: only definitions leave a student's notebook."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from coursetools import markers
from coursetools.grading import extract

ROOT = Path(__file__).resolve().parents[1]
RESERVED = frozenset({"check", "graded", "np", "compare"})


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
    ("x = np.ones((10**6, 10**6))", "an assignment to x"),
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
import math as np
import numpy as np
def forward(x):
    return x
''')
    assert code.defines == ["forward"]
    reasons = [s.what for s in code.skipped]
    assert "a definition of check (provided by the official tests)" in reasons
    assert "a definition of graded (provided by the official tests)" in reasons
    assert "an assignment to compare (provided by the official tests)" in reasons
    assert "an import that rebinds np (provided by the official tests)" in reasons
    assert len(reasons) == 4   # `import numpy as np` is what the checks cell does: silent


def test_failing_import_does_not_take_the_cell_down():
    code = kept("from google.colab import drive\nimport math\ndef f():\n    return math.pi")
    namespace = {}
    exec(code.source, namespace)
    assert namespace["f"]() == pytest.approx(3.14159, rel=1e-5)
    assert "drive" not in namespace


def test_try_import_blocks_are_kept_other_try_blocks_not():
    code = kept("try:\n    import scipy\nexcept ImportError:\n    scipy = None")
    assert code.skipped  # the handler assigns: not only imports
    code = kept("try:\n    import scipy\nexcept ImportError:\n    pass")
    assert code.defines == ["scipy"] and not code.skipped


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
    cells = extract.extract_notebook(nb, reserved=RESERVED, checks_header=markers.CHECKS_HEADER)
    assert {"forward", "loss", "backward", "train"} <= extract.defined_names(cells)
    checks_index = next(i for i, c in enumerate(nb.cells)
                        if c.source.startswith(markers.CHECKS_HEADER))
    assert checks_index not in {c.index for c in cells}
    for cell in cells:   # no test cell, no training run survives
        assert "graded(" not in cell.source and "train(" not in cell.source.split("def ")[0]


def test_top_level_names_of_the_checks_cell():
    from coursetools import checks
    names = extract.top_level_names(Path(checks.__file__).read_text(encoding="utf-8"))
    assert {"check", "graded", "np", "compare", "diagnose", "enable_recording", "_STATE"} <= names


def test_aliases_of_left_out_variables_are_left_out_too():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("def relu(u):\n    return u"),
                nbformat.v4.new_code_cell("for step in range(3):\n    w = step\nw_final = w\n"
                                          "activation = relu\nmaximum = max\nmean = np.mean")]
    cells = extract.extract_notebook(nb, reserved=RESERVED)
    assert cells[1].defines == ["activation", "maximum", "mean"]
    assert "w_final" in " ".join(s.what for s in cells[1].skipped)
    namespace = {"np": __import__("numpy")}
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

