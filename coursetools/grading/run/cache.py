"""What the grader keeps between runs, in the user's cache folder (``~/.cache/coursetools``).

Only results that a key fully determines are kept, so a cached value is exactly what a new run
would compute:

- matplotlib's font list as seen inside the sandbox (``sandbox.font_cache``), per matplotlib
  version;
- the **reference run** of each inputs key: the instructor's own code on the varied inputs a
  submission is graded on (``build.inputs_key``: from the seed and the submission's graded
  code), so a regrade of unchanged submissions runs no reference at all. Its key is
  the SHA-256 of the instructor notebook, the inputs key, the versions of Python and numpy, and a
  hash of the source of the whole ``coursetools`` package (``code_digest``): every module that
  builds the reference notebook or runs inside its kernel is in it, so a new or changed module
  can never leave a stale entry (an unrelated change only costs one reference run); with the
  same key the reference kernel would emit the same results. The run record says how many
  references were executed and how many were taken from here.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
from pathlib import Path

from coursetools.grading.records import CellResult

FORMAT = 2


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "coursetools"


def code_digest() -> str:
    """SHA-256 over the path and text of every Python file of the ``coursetools`` package."""
    package = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def reference_key(digest: str, inputs_key: str) -> str:
    import numpy

    parts = [FORMAT, digest, inputs_key, platform.python_version(), numpy.__version__,
             code_digest()]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


def _path(key: str) -> Path:
    return cache_dir() / "references" / f"{key}.json"


def load_reference(key: str) -> list[CellResult] | None:
    try:
        lines = _path(key).read_text(encoding="utf-8").splitlines()
        return [CellResult.from_json(line) for line in lines if line.strip()]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_reference(key: str, results: list[CellResult]) -> None:
    path = _path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text("\n".join(r.to_json() for r in results) + "\n", encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        pass   # a cache that cannot be written only costs the next run its time


def load_references(digest: str, keys) -> dict[str, list[CellResult]]:
    """The cached reference results of those inputs ``keys`` that have some."""
    found = {key: load_reference(reference_key(digest, key)) for key in keys}
    return {key: results for key, results in found.items() if results is not None}


def save_references(digest: str, results: dict[str, list[CellResult]]) -> None:
    """Keep the reference results of each inputs key (results that passed their own tests)
    that are not kept yet."""
    for key, found in results.items():
        if not _path(reference_key(digest, key)).is_file():
            save_reference(reference_key(digest, key), found)
