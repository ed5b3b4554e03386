"""coursetools.grading.cache: only results a key fully determines are kept between runs."""
from coursetools.grading import cache
from coursetools.grading.records import CellResult, Role


def test_the_key_follows_what_determines_the_reference():
    key = cache.reference_key("a" * 64, "seed")
    assert key == cache.reference_key("a" * 64, "seed")
    assert key != cache.reference_key("b" * 64, "seed")
    assert key != cache.reference_key("a" * 64, "other seed")


def test_references_round_trip_and_a_broken_file_is_a_miss(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    results = [CellResult(notebook="reference", index=0, role=Role.TEST, tests=["t"],
                          payloads=[{"test": "t", "call": 0}])]
    assert cache.load_reference("k") is None
    cache.save_reference("k", results)
    assert cache.load_reference("k") == results
    (tmp_path / "coursetools" / "references" / "k.json").write_text("{broken")
    assert cache.load_reference("k") is None
