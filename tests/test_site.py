"""Checks of the built site in _build/html (marker `site`: `make test` runs them after the build)."""
import pytest

from coursetools import site_checks as site
from tests.conftest import ROOT

pytestmark = pytest.mark.site


def test_every_toc_entry_is_a_built_page(html_dir):
    assert site.missing_pages(ROOT, html_dir) == []


def test_no_broken_internal_link_or_image(html_dir):
    assert site.broken_local_references(html_dir) == []


def test_math_is_math_markup(html_dir):
    assert site.pages_without_math(ROOT, html_dir) == []


def test_every_notebook_page_opens_its_own_notebook_in_colab(html_dir):
    assert site.bad_colab_links(ROOT, html_dir) == []


def test_lab_pages_open_the_student_notebook(html_dir):
    labs = [d for d in site.toc_files(ROOT / "_toc.yml") if d.startswith("labs/") and
            site.source_of(ROOT, d).suffix == ".ipynb"]
    for docname in labs:
        links = site.colab_links(html_dir / f"{docname}.html")
        assert links and all(link.endswith(f"/{docname}.ipynb") for link in links), docname


def test_no_solution_reaches_the_site(html_dir):
    assert site.solution_leaks(html_dir, site.instructor_only_lines(ROOT)) == []


def test_every_page_names_the_licences(html_dir):
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "CC BY 4.0" in licence and "MIT License" in licence
    for docname, _source, page in site.built_sources(ROOT, html_dir):
        footer = page.read_text(encoding="utf-8").split('class="bd-footer-content', 1)[-1]
        assert "CC BY 4.0" in footer and "MIT" in footer, f"{docname}: no licence in the footer"
