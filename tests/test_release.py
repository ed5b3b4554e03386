"""coursetools.release: the student-facing repository holds the course students read, its own
README, Makefile and CI, and nothing that only the private source may hold."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import nbformat
import pytest
import yaml

from coursetools import markers, release
from tests.conftest import ROOT

URL = "https://github.com/example/course-public"


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    dest = tmp_path_factory.mktemp("release") / "public"
    release.release(ROOT, dest, URL)
    return dest


def test_the_release_holds_the_student_course_and_its_own_tooling(released):
    names = {p.relative_to(released).as_posix() for p in released.rglob("*") if p.is_file()}
    labs = {f"labs/{p.name}" for p in (ROOT / "labs").glob("*.ipynb")}
    assert labs and labs <= names
    assert {"README.md", "Makefile", "pyproject.toml", "requirements.txt", "_config.yml",
            "_toc.yml", "intro.md", "LICENSE", ".github/workflows/tests.yml",
            ".github/workflows/pages.yml", "coursetools/page_extras.py"} <= names
    assert not any(n.startswith(("solutions/", "tests/", "coursetools/grading/",
                                 "coursetools/kernel/", "benchmarks/")) for n in names)
    for lab in labs:   # exactly the generated student notebooks
        assert (released / lab).read_bytes() == (ROOT / lab).read_bytes()


def test_nothing_of_the_source_is_published(released):
    assert release.leaks(released, ROOT) == []
    for path in released.rglob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert "seed" not in nb.metadata.get(markers.METADATA, {}), path
        assert not any(markers.cell_kind(c) in ("hidden", "solution") for c in nb.cells), path


def test_the_site_points_at_the_release_and_leaves_the_instructors_part_out(released):
    config = yaml.safe_load((released / "_config.yml").read_text())
    assert config["repository"]["url"] == URL
    toc = (released / "_toc.yml").read_text()
    assert "instructor_guide" not in toc and "labs/lab1_scalar" in toc
    assert "instructor_guide" not in (released / "intro.md").read_text()
    readme = (released / "README.md").read_text()
    assert "make book" in readme and "make test" in readme
    workflow = yaml.safe_load((released / ".github" / "workflows" / "tests.yml").read_text())
    assert "make test" in [s.get("run") for s in workflow["jobs"]["test"]["steps"]]
    run = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                          "vendor.github-workflows",
                          *map(str, (released / ".github" / "workflows").glob("*.yml"))],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_planted_solution_is_found_wherever_it_hides(released, tmp_path):
    copy = tmp_path / "public"
    shutil.copytree(released, copy)
    shutil.copy(ROOT / "solutions" / "lab1_scalar.ipynb", copy / "labs" / "extra.ipynb")
    (copy / "notes.md").write_text(f"Copied from the source:\n\n    {markers.BEGIN_SOLUTION}\n")
    found = release.leaks(copy, ROOT)
    assert any("labs/extra.ipynb" in f and "seed" in f for f in found)
    assert any("labs/extra.ipynb" in f and "lab1_scalar.ipynb, cell" in f for f in found)
    assert any(f.startswith("notes.md") and "marker" in f for f in found)


def test_an_instructor_notebook_in_the_table_of_contents_stops_the_release(tmp_path):
    root = tmp_path / "source"
    root.mkdir()
    for name in ("_toc.yml", "_config.yml", "intro.md", "LICENSE", "requirements.txt"):
        shutil.copy(ROOT / name, root / name)
    for name in ("chapters", "labs", "solutions", "_static", "coursetools", ".github"):
        shutil.copytree(ROOT / name, root / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.png"))
    toc = (root / "_toc.yml").read_text().replace("- file: labs/lab1_scalar",
                                                   "- file: solutions/lab1_scalar")
    (root / "_toc.yml").write_text(toc)
    with pytest.raises(release.ReleaseError, match="solutions/lab1_scalar"):
        release.release(root, tmp_path / "public")
    assert not (tmp_path / "public").exists()


def test_an_earlier_release_is_replaced_but_its_history_kept_and_a_foreign_folder_refused(
        tmp_path):
    dest = tmp_path / "public"
    release.release(ROOT, dest, URL)
    (dest / ".git").mkdir()
    (dest / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (dest / "stale.md").write_text("from an older release\n")
    release.release(ROOT, dest, URL)
    assert (dest / ".git" / "HEAD").is_file() and not (dest / "stale.md").exists()
    foreign = tmp_path / "other"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("mine")
    with pytest.raises(release.ReleaseError, match="not empty"):
        release.release(ROOT, foreign, URL)
    assert (foreign / "thesis.tex").read_text() == "mine"


@pytest.mark.slow
@pytest.mark.kernel
def test_the_release_builds_and_passes_with_its_own_readme_commands(released, tmp_path):
    """The release's `make test` (every notebook under nbval, then `make book`), with a
    virtualenv of its own made from the lock, as a fresh clone of the release would run it."""
    work = tmp_path / "public"
    shutil.copytree(released, work)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONPATH", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep)
                                  if ".venv" not in p)
    run = subprocess.run(["make", "test"], cwd=work, env=env, capture_output=True, text=True,
                         timeout=3600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " passed" in run.stdout and " failed" not in run.stdout
    assert (work / "_build" / "html" / "labs" / "lab1_scalar.html").is_file()


def test_model_answers_and_rubrics_are_secrets(released, tmp_path):
    nb = nbformat.read(ROOT / "solutions" / "lab4_xor.ipynb", as_version=4)
    (answer,) = markers.answers(nb)
    found = release.secrets(ROOT)
    lines = [l.strip() for l in answer.secret_lines() if len(l.strip()) >= release.SHORTEST_SECRET_LINE]
    assert lines and all(line in found for line in lines)
    assert any(f"- {answer.points:g}:" in line for line in found)   # the rubric's top level
    copy = tmp_path / "public"
    shutil.copytree(released, copy)
    (copy / "notes.md").write_text("Model answer, for the tutors:\n\n" + answer.model + "\n")
    assert any(f.startswith("notes.md") and "model answer or rubric of why_not_zero" in f
               for f in release.leaks(copy, ROOT))
    student = nbformat.read(released / "labs" / "lab4_xor.ipynb", as_version=4)
    assert answer.marker + "\n" + markers.ANSWER_PLACEHOLDER in [c.source for c in student.cells]
