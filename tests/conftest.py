"""Shared fixtures: the repository root and the built site."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILES = ROOT / "tests" / "files"   # fixture files shared by the tests


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def html_dir(root) -> Path:
    html = root / "_build" / "html"
    if not (html / "index.html").exists():
        pytest.fail("the site is not built: run `make book` first (`make test` does it)")
    return html
