"""coursetools.offline_mathjax: the site serves the part of MathJax its pages use."""
from types import SimpleNamespace

from coursetools import offline_mathjax


def test_the_package_ships_mathjax():
    assert (offline_mathjax.mathjax_source() / offline_mathjax.ENTRY).is_file()


def test_after_an_html_build_the_needed_files_are_copied(tmp_path):
    app = SimpleNamespace(outdir=str(tmp_path), builder=SimpleNamespace(format="html"),
                          config=SimpleNamespace(mathjax_path=None), connect=lambda *a: None)
    assert offline_mathjax.setup(app)["parallel_read_safe"]
    assert app.config.mathjax_path == f"mathjax/{offline_mathjax.ENTRY}"
    offline_mathjax.copy_mathjax(app, None)
    copied = tmp_path / "_static" / "mathjax"
    assert (copied / offline_mathjax.ENTRY).is_file()
    assert any((copied / "output" / "chtml" / "fonts" / "woff-v2").iterdir())
    total = sum(p.stat().st_size for p in copied.rglob("*") if p.is_file())
    assert total < 5e6, "only the part a TeX-to-CHTML page needs"


def test_nothing_is_copied_after_a_failed_or_other_build(tmp_path):
    app = SimpleNamespace(outdir=str(tmp_path), builder=SimpleNamespace(format="latex"))
    offline_mathjax.copy_mathjax(app, None)
    offline_mathjax.copy_mathjax(SimpleNamespace(outdir=str(tmp_path),
                                                 builder=SimpleNamespace(format="html")),
                                 RuntimeError("failed"))
    assert not (tmp_path / "_static").exists()
