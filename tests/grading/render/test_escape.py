"""coursetools.grading.render.escape: text from students, made safe for the format it goes into."""
from coursetools.grading.render.escape import safe_cell


def test_formula_like_cells_are_neutralised():
    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("-1+2") == "'-1+2" and safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("alice") == "alice" and safe_cell(12) == "12"
