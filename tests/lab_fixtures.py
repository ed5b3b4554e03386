"""The labs' mutants and valid alternatives as fixture files, shared by ``tests/test_labs.py``
and the mutation audit (``coursetools audit LAB --fixtures tests/files/labs/LAB``).

One folder per lab, ``tests/files/labs/<lab>/``, with one Python file per variant:

- ``mutants/<name>.py``: a wrong implementation. Its first line names the graded test that
  must catch it and the mistake code it must report::

      # caught by: backward_inactive_unit relu_mask_missing

  then the definitions (functions, classes) that replace the instructor's solution of the same
  names (a mutant may change several: ``output_relu`` changes ``forward`` and ``backward``);
- ``alternatives/<name>.py``: a valid implementation, which must get full marks.

To add a variant, write its file. Variants still written as code in ``tests/test_labs.py``
(the older style) are read from there for labs without a folder; ``python -m
tests.lab_fixtures LAB`` writes them into the lab's folder.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from coursetools.grading import mutants

FOLDER = Path(__file__).resolve().parent / "files" / "labs"
CAUGHT = re.compile(r"^# caught by: (\w+) (\w+)\s*$")


def folder(lab: str) -> Path:
    return FOLDER / lab


def has_fixtures(lab: str) -> bool:
    return (folder(lab) / "mutants").is_dir()


def read(lab: str, kind: str) -> dict[str, dict[str, str]]:
    """{variant name: {definition name: source}} for ``kind`` "mutants" or "alternatives"."""
    return mutants.read_variants(folder(lab) / kind)


def caught_by(lab: str) -> dict[str, tuple[str, str]]:
    """{mutant name: (test id, mistake code)} from the mutants' first lines."""
    found = {}
    for path in sorted((folder(lab) / "mutants").glob("*.py")):
        match = CAUGHT.match(path.read_text(encoding="utf-8").splitlines()[0])
        if not match:
            raise ValueError(f"{path}: the first line must be '# caught by: <test> <code>'")
        found[path.stem] = (match.group(1), match.group(2))
    return found


def write(lab: str, mutants: dict, caught: dict, alternatives: dict) -> None:
    """Write variants given as code ({name: {definition: source}}) into the lab's folder."""
    for kind, variants in (("mutants", mutants), ("alternatives", alternatives)):
        (folder(lab) / kind).mkdir(parents=True, exist_ok=True)
        for name, sources in variants.items():
            if sources is None:
                continue          # generated at test time (hard-coded answers)
            head = (f"# caught by: {caught[name][0]} {caught[name][1]}\n" if kind == "mutants"
                    else "# a valid alternative: full marks under every seed\n")
            body = "\n\n\n".join(source.strip("\n") for source in sources.values())
            (folder(lab) / kind / f"{name}.py").write_text(
                head + "import numpy as np\n\n\n" + body + "\n", encoding="utf-8")


if __name__ == "__main__":
    from tests import test_labs

    for lab_id in sys.argv[1:]:
        write(lab_id, test_labs.code_mutants(lab_id), test_labs.CAUGHT_BY[lab_id],
              test_labs.code_alternatives(lab_id))
        print(f"wrote {folder(lab_id)}")
