"""The notebook cells that carry kernel-side code (``coursetools/kernel/``): built here, only here.

- the labs' **test-helper cell**: ``kernel/protocol.py``, ``kernel/diagnosis.py`` and
  ``kernel/checks.py`` executed as the modules ``coursetools_protocol``,
  ``coursetools_diagnosis`` and ``coursetools_checks``, then only the public names bound, then
  ``configure`` with the lab's contract, diagnosis vocabulary and mode (strict in instructor notebooks, forgiving in student labs). Its first line
  is a Colab form title and its metadata collapses it in Colab, Jupyter and on the site;
- the grading notebooks' **setup cell** (``kernel/guard.py``), **helper cell** (the same module,
  recording mode), **isolation cells** and **recording cell**.

- the **figure cells** of chapters and labs: a module of ``coursetools/figures/`` copied verbatim
  (readable code that draws, e.g. ``plot_graph``), under a Colab form title and a line that names
  its source; ``refresh_figure_cells`` puts the current text into every such cell, so that
  ``coursetools labs`` keeps them in step and ``--check`` fails when one has drifted.

Each embedded module keeps its ``VERSION``; the helper cell repeats the version of
``checks.py`` (bumped whenever any of its three modules changes) on its second line, which is
how the generator and the grader recognise the cell and refuse an outdated one.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

KERNEL = Path(__file__).with_name("kernel")
FIGURES = Path(__file__).with_name("figures")
FIGURE_TITLE = "#@title Figure code: {what} (run this cell; you do not need to read it)"
FIGURE_MARK = "# coursetools figure {name} v{version}: generated from coursetools/figures/{name}.py; do not edit"
FIGURE_WHAT = {"value_graph": "plot_graph draws a computational graph"}
_FIGURE_MARK = re.compile(r"^# coursetools figure (\w+) v(\d+):")
HELPER_TITLE = "#@title Test helpers (run this cell; you do not need to read it)"
HELPER_MARK = "# coursetools test helpers v{version}: generated from coursetools/kernel/; do not edit"
HELPER_METADATA = {"cellView": "form", "jupyter": {"source_hidden": True}, "tags": ["hide-input"]}
MODULE = "coursetools_checks"
_MARK = re.compile(r"^# coursetools test helpers v(\d+):")


class OutdatedCell(ValueError):
    """A notebook's test-helper cell is older than the helpers the grader uses."""


def module_source(name: str) -> str:
    """The source of ``kernel/<name>.py``, checked to be embeddable in a raw ''' string."""
    text = (KERNEL / f"{name}.py").read_text(encoding="utf-8")
    if "'''" in text or text.rstrip().endswith("\\"):
        raise ValueError(f"kernel/{name}.py cannot be embedded: it contains ''' or ends with \\")
    return text


def module_version(name: str) -> int:
    match = re.search(r"^VERSION = (\d+)$", module_source(name), re.M)
    if not match:
        raise ValueError(f"kernel/{name}.py has no VERSION")
    return int(match.group(1))


def _embed(name: str, module: str, filename: str) -> list[str]:
    """Lines that execute ``kernel/<name>.py`` as the module ``module`` (in ``sys.modules``)."""
    return [f'__import__("sys").modules["{module}"] = __import__("types").ModuleType("{module}")',
            "exec(compile(r'''" + module_source(name) + "''', " + repr(filename) + ', "exec"), '
            f'__import__("sys").modules["{module}"].__dict__)']


# The kernel modules of the test-helper cell, in import order: (module, name in sys.modules).
HELPER_MODULES = (("protocol", "coursetools_protocol"), ("diagnosis", "coursetools_diagnosis"),
                  ("checks", MODULE))


def helper_source(lab: str | None, contract, methods=None, strict: bool = True,
                  diagnosis=None) -> str:
    """The test-helper cell of a lab (``strict``: instructor notebook; else student lab);
    ``diagnosis``: the lab's diagnosis vocabulary (``metadata.coursetools.diagnosis``)."""
    from coursetools.kernel import checks

    settings = {"lab": lab, "contract": list(contract),
                "methods": {k: list(v) for k, v in dict(methods or {}).items()},
                "strict": bool(strict)}
    if diagnosis:
        settings["diagnosis"] = diagnosis
    settings = json.dumps(settings, sort_keys=True)
    names = ", ".join(checks.PUBLIC)
    lines = [HELPER_TITLE, HELPER_MARK.format(version=module_version("checks")),
             *[line for name, module in HELPER_MODULES
               for line in _embed(name, module, checks.HELPERS_FILE)],
             f"from {MODULE} import configure as _configure, {names}",
             f"_configure(**__import__('json').loads({settings!r}))",
             "del _configure"]
    return "\n".join(lines)


def helper_version(source: str) -> int | None:
    """The version of a test-helper cell's source, or None if it is not one."""
    lines = source.lstrip().splitlines()
    if len(lines) < 2 or lines[0].strip() != HELPER_TITLE:
        return None
    match = _MARK.match(lines[1])
    return int(match.group(1)) if match else None


def is_helper_cell(source: str) -> bool:
    """True for a test-helper cell of any version (the student's copy is never used)."""
    return helper_version(source) is not None


def require_current(source: str, where: str) -> None:
    """Raise OutdatedCell unless ``source`` is a helper cell of the current version."""
    found, current = helper_version(source), module_version("checks")
    if found != current:
        raise OutdatedCell(f"{where}: its test-helper cell is version {found}, the grader's is "
                           f"{current}; run `make labs` (or copy the cell of the current lab)")


def guard_source(private_dir: str) -> str:
    """The grading notebooks' first cell: the audit hook, installed, leaving no names behind."""
    return "\n".join([*_embed("guard", "coursetools_guard", "<grading guard>"),
                      f'__import__("sys").modules["coursetools_guard"].install({private_dir!r})'])


def recording_source(seed: str) -> str:
    return f'__import__("{MODULE}").enable_recording({seed!r})'


def method_isolation_source(name: str, keep, definitions: str) -> str:
    """Before a method variant of a test: the student's class ``name`` with its methods other
    than ``keep`` replaced by the official ones."""
    return (f'__import__("{MODULE}").isolate_methods({name!r}, {list(keep)!r}, '
            f'{definitions!r})')


def isolation_source(names, definitions: str) -> str:
    """Before the tests of one function: the official versions of the functions it uses."""
    return f'__import__("{MODULE}").isolate({list(names)!r}, {definitions!r})'


def figure_source(name: str) -> str:
    """The figure cell that defines what ``coursetools/figures/<name>.py`` defines, verbatim."""
    text = (FIGURES / f"{name}.py").read_text(encoding="utf-8").rstrip("\n")
    version = re.search(r"^VERSION = (\d+)$", text, re.M)
    if not version:
        raise ValueError(f"figures/{name}.py has no VERSION")
    return "\n".join([FIGURE_TITLE.format(what=FIGURE_WHAT.get(name, name)),
                      FIGURE_MARK.format(name=name, version=version.group(1)), text])


def figure_name(source: str) -> str | None:
    """The module a figure cell was generated from, or None if ``source`` is not a figure cell."""
    lines = source.lstrip().splitlines()
    match = _FIGURE_MARK.match(lines[1]) if len(lines) > 1 and lines[0].startswith("#@title") else None
    return match.group(1) if match else None


def refresh_figure_cells(nb) -> bool:
    """Put the current module text (and the collapsed-cell metadata) into every figure cell of
    ``nb``; True if one changed."""
    changed = False
    for cell in nb.cells:
        name = figure_name(cell.source) if cell.cell_type == "code" else None
        if name is None:
            continue
        source = figure_source(name)
        metadata = {**cell.metadata, **{k: v for k, v in HELPER_METADATA.items() if k != "tags"}}
        metadata["tags"] = sorted(set(cell.metadata.get("tags", [])) | {"hide-input"})
        if cell.source != source or cell.metadata != metadata:
            cell.source, cell.metadata, changed = source, metadata, True
    return changed
