"""The student-facing repository: ``coursetools release DEST`` (``make release DEST=...``).

The course is kept as nbgrader keeps an assignment: a **source** repository (this one, private:
instructor notebooks with their solutions, hidden tests and seeds, the grader and its tests)
and a **release** repository (public: what students read and open in Colab). The release holds

- the chapters and the generated student labs, ``intro.md``, ``_static/``, ``LICENSE``;
- the site's configuration, with ``repository.url`` set to the release repository (the Colab
  badges open notebooks from there) and the table of contents without the instructors' part;
- the part of ``coursetools`` the site's build uses (its two Sphinx extensions), the lock;
- its own ``README.md``, ``Makefile`` (``make book``, ``make test``: nbval on every chapter and
  lab, then the site built with warnings as errors) and GitHub workflows (the tests on every
  push, the site on GitHub Pages).

It never holds ``solutions/``, hidden tests, seeds or the grader. After writing, every file of
the release is checked against the source's instructor notebooks: a line of solution code
(between the solution markers, and not in the student lab), a line of a hidden test, a marker
or a grading seed found anywhere stops the release with the file that holds it.

DEST is either a new folder or an earlier release (it holds ``RELEASE_MARK``); in the latter
everything but ``.git`` is replaced, so the release repository's history shows what changed.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import yaml

from coursetools import markers

RELEASE_MARK = ".coursetools-release"
INSTRUCTOR_PART = "For instructors"
SITE_MODULES = ("__init__.py", "offline_mathjax.py", "page_extras.py")
COPIED = ("LICENSE", "requirements.txt", "_static", ".github/workflows/pages.yml")
SHORTEST_SECRET_LINE = 12   # shorter solution lines (``return x``) are too common to be secrets


class ReleaseError(Exception):
    """The release cannot be written (the message says why)."""


# ------------------------------------------------------------------ what the release holds
def _toc(root: Path) -> tuple[dict, list[str]]:
    """The release's table of contents, and the files of the parts it leaves out."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    kept, dropped = [], []
    for part in toc.get("parts", []):
        files = [e["file"] for e in _entries(part.get("chapters", []))]
        listed = [f for f in files if f.startswith("solutions/")]
        if listed:
            raise ReleaseError(f"_toc.yml lists {', '.join(listed)}: instructor notebooks never "
                               "belong on the site")
        if part.get("caption") == INSTRUCTOR_PART:
            dropped += files
        else:
            kept.append(part)
    return dict(toc, parts=kept), dropped


def _entries(entries: list[dict]):
    for entry in entries:
        if "file" in entry:
            yield entry
        yield from _entries(entry.get("sections", []))


def _page_path(root: Path, entry: str) -> Path:
    """The file of a table-of-contents entry (written without its suffix)."""
    for suffix in (".ipynb", ".md"):
        if (root / f"{entry}{suffix}").is_file():
            return root / f"{entry}{suffix}"
    raise ReleaseError(f"_toc.yml names {entry}, which has no .ipynb or .md file")


def _config(root: Path, repository: str | None, branch: str) -> str:
    text = (root / "_config.yml").read_text(encoding="utf-8")
    config = yaml.safe_load(text)
    url = repository or config.get("repository", {}).get("url", "")
    # Edit the two values in place, so the file keeps its comments.
    text = re.sub(r"(?m)^(\s+url:\s*).*$", lambda m: m.group(1) + url, text, count=1)
    text = re.sub(r"(?m)^(\s+branch:\s*).*$", lambda m: m.group(1) + branch, text, count=1)
    if yaml.safe_load(text).get("repository", {}).get("url") != url:
        raise ReleaseError("_config.yml: could not set repository.url")
    return text


def _without_section(markdown: str, heading: str) -> str:
    """``markdown`` without the section titled ``heading`` (up to the next heading of its level)."""
    lines, out, skipping, level = markdown.split("\n"), [], False, 0
    for line in lines:
        found = re.match(r"^(#+)\s+(.*)$", line)
        if found and found.group(2).strip() == heading:
            skipping, level = True, len(found.group(1))
            continue
        if skipping and found and len(found.group(1)) <= level:
            skipping = False
        if not skipping:
            out.append(line)
    return "\n".join(out)


def _pages(root: Path, toc: dict) -> list[Path]:
    pages = [_page_path(root, toc["root"])]
    for part in toc["parts"]:
        pages += [_page_path(root, e["file"]) for e in _entries(part.get("chapters", []))]
    return pages


# ------------------------------------------------------------------ what it must never hold
def _public_text(root: Path) -> str:
    """The code of the pages students are meant to read: the student labs and the chapters
    (a chapter may derive a line that is also a lab's solution: that line is public)."""
    paths = sorted((root / "labs").glob("*.ipynb")) + sorted((root / "chapters").glob("*.ipynb"))
    return "\n".join(c.source for p in paths for c in nbformat.read(p, as_version=4).cells)


def secrets(root: Path) -> dict[str, str]:
    """Text that only the source may hold -> where it comes from (for the message): the markers,
    the grading seeds, every line of a hidden test or of solution code that no student lab
    or chapter shows, and every line of a written answer's model answer and rubric."""
    found = {m: "a marker of the instructor notebooks" for m in markers.MARKERS}
    public = _public_text(root)
    for path in sorted((root / "solutions").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        seed = nb.metadata.get(markers.METADATA, {}).get("seed")
        if seed:
            found[f'"seed": {json.dumps(seed)}'] = f"the grading seed of {path.name}"
        for info in markers.parse_notebook(nb, path.name):
            if info.answer is None:
                continue
            for line in (l.strip() for l in info.answer.secret_lines()):
                if len(line) >= SHORTEST_SECRET_LINE and line not in public:
                    found[line] = (f"{path.name}, cell {info.index + 1}: the model answer or "
                                   f"rubric of {info.answer.id}")
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            lines = cell.source.split("\n")
            if markers.is_hidden(cell.source):
                secret = [lines]
            else:
                secret = [lines[r.begin + 1:r.end] for r in markers.solution_regions(cell.source)]
            for line in (l.strip() for block in secret for l in block):
                if len(line) >= SHORTEST_SECRET_LINE and not line.startswith("#") and \
                        line not in public:
                    found[line] = f"{path.name}, cell {index + 1}"
    return found


def leaks(dest: Path, root: Path) -> list[str]:
    """Every place of the release that holds text only the source may hold."""
    hidden = secrets(root)
    problems = []
    for path in sorted(p for p in dest.rglob("*") if p.is_file() and ".git" not in p.parts):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        # A notebook stores each source line as a JSON string: compare with the decoded text.
        if path.suffix == ".ipynb":
            nb = nbformat.reads(text, as_version=4)
            text = text + "\n" + "\n".join(c.source for c in nb.cells) + json.dumps(nb.metadata)
        for secret, origin in hidden.items():
            if secret in text:
                problems.append(f"{path.relative_to(dest)} holds {secret!r} ({origin})")
    return problems


# ------------------------------------------------------------------ writing it
def _prepare(dest: Path) -> None:
    if dest.exists() and any(dest.iterdir()):
        if not (dest / RELEASE_MARK).is_file():
            raise ReleaseError(f"{dest} is not empty and holds no earlier release "
                               f"({RELEASE_MARK}): give a new folder")
        for child in dest.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    dest.mkdir(parents=True, exist_ok=True)


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        shutil.copy2(source, target)


def release(root: Path, dest: Path, repository: str | None = None, branch: str = "main") -> list[Path]:
    """Write the release of the course at ``root`` into ``dest``; the files written."""
    root, dest = Path(root).resolve(), Path(dest).resolve()
    if dest == root or root in dest.parents:
        raise ReleaseError("the release goes outside the source repository")
    toc, dropped = _toc(root)
    pages = _pages(root, toc)
    _prepare(dest)
    for name in COPIED:
        _copy(root / name, dest / name)
    for page in pages:
        if page.name != "intro.md":
            _copy(page, dest / page.relative_to(root))
    for name in SITE_MODULES:
        _copy(root / "coursetools" / name, dest / "coursetools" / name)
    templates = Path(__file__).parent / "release_files"
    for template in sorted(p for p in templates.rglob("*") if p.is_file()):
        _copy(template, dest / template.relative_to(templates))
    (dest / "_toc.yml").write_text("# Table of contents of the released course.\n"
                                   + yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")
    (dest / "_config.yml").write_text(_config(root, repository, branch), encoding="utf-8")
    intro = (root / "intro.md").read_text(encoding="utf-8")
    (dest / "intro.md").write_text(_without_section(intro, INSTRUCTOR_PART), encoding="utf-8")
    (dest / RELEASE_MARK).write_text("Written by `coursetools release` from the course's source "
                                     "repository: do not edit here.\n", encoding="utf-8")
    problems = leaks(dest, root) + _dangling_links(dest, dropped)
    if problems:
        raise ReleaseError("the release would publish what only the source may hold:\n  "
                           + "\n  ".join(problems[:20]))
    return sorted(p for p in dest.rglob("*") if p.is_file() and ".git" not in p.parts)


def _dangling_links(dest: Path, dropped: list[str]) -> list[str]:
    problems = []
    for path in sorted(dest.rglob("*.md")) + sorted(dest.rglob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        problems += [f"{path.relative_to(dest)} links to {name}, which the release leaves out"
                     for name in dropped if re.search(rf"\]\((\.\./)?{re.escape(name)}(\.md|\.ipynb)?\)", text)]
    return problems
