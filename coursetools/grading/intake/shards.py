"""Which part of a class one run grades: ``--shard i/N``, or ``--shard auto`` on a batch system.

A student belongs to part ``i`` of ``N`` by a hash of their id, so the parts stay the same when
students are added, and every student is in exactly one part. ``auto`` takes ``i`` and ``N``
from the batch system itself, so the number of parts is written once, where the engine is told
how many tasks to start (a count written twice, ``--array=1-3`` with ``/4``, silently skips the
students of the part no task runs):

- Slurm job arrays: ``SLURM_ARRAY_TASK_ID``, ``SLURM_ARRAY_TASK_MIN``, ``SLURM_ARRAY_TASK_MAX``,
  ``SLURM_ARRAY_TASK_COUNT`` and ``SLURM_ARRAY_TASK_STEP``, set in every task of an array
  (the array must be a plain range such as ``--array=1-4`` or ``--array=0-3``);
- anything else that numbers its tasks from 0 (a Kubernetes indexed Job's
  ``JOB_COMPLETION_INDEX``, GitHub Actions' ``strategy.job-index``): ``COURSETOOLS_SHARD_INDEX``
  (or ``JOB_COMPLETION_INDEX``) with ``COURSETOOLS_SHARD_COUNT``.

``coursetools merge`` checks that the parts it is given are exactly 1..N of one N.
"""
from __future__ import annotations

import hashlib
from typing import Mapping

Shard = tuple[int, int]


class ShardError(ValueError):
    """A shard that cannot be used (the message says why and what to write instead)."""


def parse(text: str, environ: Mapping[str, str]) -> Shard:
    """``i/N`` (1 <= i <= N), or ``auto``: from the batch system's variables in ``environ``."""
    if text.strip().lower() == "auto":
        found = from_environment(environ)
        if found is None:
            raise ShardError("--shard auto found no batch-system variables (SLURM_ARRAY_TASK_* "
                             "of a Slurm array, or COURSETOOLS_SHARD_INDEX (from 0) and "
                             "COURSETOOLS_SHARD_COUNT): give --shard i/N")
        return found
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ShardError("use i/N, e.g. 1/3, or auto") from None
    return _checked(index, count)


def _checked(index: int, count: int) -> Shard:
    if not 1 <= index <= count:
        raise ShardError(f"shard {index}/{count}: i/N needs 1 <= i <= N")
    return index, count


def _int(environ: Mapping[str, str], name: str) -> int | None:
    value = environ.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ShardError(f"{name}={value!r} is not a whole number") from None


def from_environment(environ: Mapping[str, str]) -> Shard | None:
    """The shard the batch system gives this task, or None when none is set."""
    task = _int(environ, "SLURM_ARRAY_TASK_ID")
    if task is not None:
        first, last = _int(environ, "SLURM_ARRAY_TASK_MIN"), _int(environ, "SLURM_ARRAY_TASK_MAX")
        count, step = _int(environ, "SLURM_ARRAY_TASK_COUNT"), _int(environ, "SLURM_ARRAY_TASK_STEP")
        if first is None or count is None:
            raise ShardError("a Slurm array task without SLURM_ARRAY_TASK_MIN/COUNT: give "
                             "--shard i/N")
        if (step or 1) != 1 or (last is not None and last - first + 1 != count):
            raise ShardError("--shard auto needs a Slurm array that is one plain range "
                             "(--array=1-4), not a list or a range with a step")
        return _checked(task - first + 1, count)
    index = _int(environ, "COURSETOOLS_SHARD_INDEX")
    if index is None:
        index = _int(environ, "JOB_COMPLETION_INDEX")
    if index is None:
        return None
    count = _int(environ, "COURSETOOLS_SHARD_COUNT")
    if count is None:
        raise ShardError("a task index (COURSETOOLS_SHARD_INDEX or JOB_COMPLETION_INDEX) "
                         "without COURSETOOLS_SHARD_COUNT: set it to the number of tasks")
    return _checked(index + 1, count)


def in_shard(student: str, shard: Shard | None) -> bool:
    """Deterministic part ``i`` of ``n`` of a class (stable when students are added)."""
    if shard is None:
        return True
    index, count = shard
    digest = int(hashlib.sha256(student.encode("utf-8")).hexdigest(), 16)
    return digest % count == index - 1
