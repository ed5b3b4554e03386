"""coursetools.grading.results.outdir: OUT is written only by the grader, atomically, never via a link."""
import os

import pytest

from coursetools.grading.results import outdir


def test_a_missing_or_known_folder_is_fine(tmp_path):
    outdir.check(tmp_path / "new")
    for name in ("grades.csv", "report.html", "results.json", "runs.jsonl", "overrides.csv"):
        (tmp_path / name).write_text("x")
    (tmp_path / "feedback").mkdir()
    (tmp_path / "feedback" / "alice.md").write_text("x")
    (tmp_path / "feedback" / "alice.html").write_text("x")
    outdir.check(tmp_path)


@pytest.mark.parametrize("make, named", [
    (lambda out: (out / "grades.csv").mkdir(), "grades.csv"),
    (lambda out: (out / "report.html").symlink_to("/etc/hostname"), "report.html"),
    (lambda out: (out / "notes.txt").write_text("x"), "notes.txt"),
    (lambda out: ((out / "feedback").mkdir(), (out / "feedback" / "x.sh").write_text("x")), "x.sh"),
    (lambda out: ((out / "feedback").mkdir(),
                  (out / "feedback" / "bob.md").symlink_to("/etc/hostname")), "bob.md"),
])
def test_anything_the_grader_did_not_write_stops_the_run(tmp_path, make, named):
    make(tmp_path)
    with pytest.raises(outdir.UnsafeOutput, match=named):
        outdir.check(tmp_path)


def test_a_symbolic_link_as_the_results_folder_is_refused(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(outdir.UnsafeOutput, match="symbolic link"):
        outdir.check(tmp_path / "link")


def test_writes_are_atomic_and_ordinary_files(tmp_path):
    target = outdir.write(tmp_path, "feedback/alice.md", "hello")
    assert target.read_text() == "hello" and sorted(p.name for p in target.parent.iterdir()) == \
        ["alice.md"]
    mask = os.umask(0o022)
    os.umask(mask)
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~mask)
    (tmp_path / "report.html").symlink_to(tmp_path / "elsewhere.html")
    with pytest.raises(outdir.UnsafeOutput):
        outdir.write(tmp_path, "report.html", "x")
    assert not (tmp_path / "elsewhere.html").exists()


def test_stale_pages_of_students_no_longer_there_go(tmp_path):
    for name in ("a.md", "b.md", "b.html"):
        outdir.write(tmp_path, f"feedback/{name}", "x")
    outdir.remove_stale(tmp_path, "feedback", {"b.md", "b.html"})
    assert sorted(p.name for p in (tmp_path / "feedback").iterdir()) == ["b.html", "b.md"]
