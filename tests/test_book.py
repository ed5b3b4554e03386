"""The book's configuration keeps its promises (fast: no build needed)."""
import yaml

from coursetools import site_checks as site
from tests.conftest import ROOT

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())


def test_jupyter_book_1_is_pinned():
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    major = int(pins["jupyter-book"].split(".")[0])
    assert major == 1, "jupyter-book 2 is a different tool; this book is Jupyter Book 1"
    for name in ("numpy", "matplotlib", "ipywidgets", "nbval", "sympy", "pytest-xdist"):
        assert name in pins, f"{name} must be pinned"


def test_every_toc_entry_has_a_source():
    for docname in site.toc_files(ROOT / "_toc.yml"):
        assert site.source_of(ROOT, docname) is not None, docname


def test_every_chapter_is_in_the_toc():
    listed = set(site.toc_files(ROOT / "_toc.yml"))
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        assert f"chapters/{path.stem}" in listed, f"{path.name} is not in _toc.yml: it would not be built"


def test_debugging_chapter_follows_the_jacobian_form():
    """Debugging backpropagation (chapter 5) comes right after the chapters that derive backpropagation."""
    files = site.toc_files(ROOT / "_toc.yml")
    assert files.index("chapters/05_debugging_backprop") == files.index("chapters/04_jacobian_form") + 1


def test_solutions_never_in_toc_and_excluded_from_build():
    assert not any(d.startswith("solutions") for d in site.toc_files(ROOT / "_toc.yml"))
    assert CONFIG["only_build_toc_files"] is True
    assert "solutions/*" in CONFIG["exclude_patterns"]


def test_build_executes_notebooks_and_fails_on_errors():
    assert CONFIG["execute"]["execute_notebooks"] == "cache"
    assert CONFIG["execute"]["allow_errors"] is False
    assert CONFIG["sphinx"]["config"]["nb_execution_raise_on_error"] is True


def test_repository_is_named_once_and_colab_is_on():
    slug, branch = site.repository_slug(ROOT / "_config.yml")
    assert slug.count("/") == 1 and branch
    assert CONFIG["launch_buttons"]["colab_url"] == "https://colab.research.google.com"


def test_the_appendices_close_the_chapters_and_the_intro_links_the_prerequisites():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    chapters = next(part for part in toc["parts"] if part["caption"] == "Chapters")["chapters"]
    assert [c["file"] for c in chapters[-2:]] == ["chapters/appendix_prerequisites",
                                                  "chapters/appendix_matrix_calculus"]
    intro = (ROOT / "intro.md").read_text()
    who = intro.split("**Who it is for.**")[1].split("\n\n")[0]
    assert "(chapters/appendix_prerequisites.ipynb)" in who, "the intro must link the prerequisites"
    assert "single-variable" not in who, "the chapters need multivariable calculus"
