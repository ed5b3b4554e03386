"""coursetools.grading.run.cache: only results a key fully determines are kept between runs."""
from pathlib import Path

from coursetools.grading.run import cache
from coursetools.grading.records import CellResult, Role


def test_the_key_follows_what_determines_the_reference():
    key = cache.reference_key("a" * 64, "seed")
    assert key == cache.reference_key("a" * 64, "seed")
    assert key != cache.reference_key("b" * 64, "seed")
    assert key != cache.reference_key("a" * 64, "other seed")


def test_the_key_follows_every_module_of_the_package(tmp_path, monkeypatch):
    """A module added anywhere in the package (not only in a hand-kept list) changes the key."""
    package = Path(cache.__file__).resolve().parents[2]
    before = cache.code_digest()
    added = package / "grading" / "lab" / "_probe_for_the_cache_key.py"
    try:
        added.write_text("X = 1\n")
        assert cache.code_digest() != before
        added.write_text("X = 2\n")
        changed = cache.code_digest()
        assert changed != before
    finally:
        added.unlink()
    assert cache.code_digest() == before


def test_references_round_trip_and_a_broken_file_is_a_miss(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    results = [CellResult(notebook="reference", index=0, role=Role.TEST, tests=["t"],
                          payloads=[{"test": "t", "call": 0}])]
    assert cache.load_reference("k") is None
    cache.save_reference("k", results)
    assert cache.load_reference("k") == results
    (tmp_path / "coursetools" / "references" / "k.json").write_text("{broken")
    assert cache.load_reference("k") is None
