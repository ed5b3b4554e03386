"""A notebook that raises must fail the book build, not become a warning buried in a report."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.conftest import ROOT

# Each test builds a book whose notebook runs in a kernel: `make test` runs them, not test-fast.
pytestmark = [pytest.mark.kernel, pytest.mark.slow]

TOC = "format: jb-book\nroot: intro\nchapters:\n  - file: chapters/broken\n"


def build(book: Path) -> subprocess.CompletedProcess:
    jb = Path(sys.executable).parent / "jupyter-book"
    # The book's Sphinx extensions include coursetools.offline_mathjax: the build must import it.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([str(jb), "build", str(book), "-W", "-n", "--keep-going"],
                          capture_output=True, text=True, timeout=300, env=env)


def make_book(tmp_path: Path, code: str) -> Path:
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    shutil.copy(ROOT / "_config.yml", book / "_config.yml")
    shutil.copytree(ROOT / "_static", book / "_static")  # the logo and favicon the config names
    (book / "_toc.yml").write_text(TOC)
    (book / "intro.md").write_text("# Intro\n\nText.\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Broken\n\nText."),
                                         nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, book / "chapters" / "broken.ipynb")
    return book


def test_an_exception_in_a_notebook_fails_the_build(tmp_path):
    result = build(make_book(tmp_path, "raise ValueError('deliberate failure')"))
    assert result.returncode != 0
    assert "deliberate failure" in result.stdout + result.stderr


def test_the_same_book_without_the_exception_builds(tmp_path):
    result = build(make_book(tmp_path, "print('fine')"))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
