"""Code that runs inside a Jupyter kernel: a student's, the instructor's, or a grading kernel.

**The rule of this folder.** Every module here is *shipped as source* into notebooks (the labs'
test-helper cell, the grading notebooks' setup cell), so each one

- imports only the standard library and numpy, never ``coursetools`` or anything else that a
  fresh Colab runtime or a sandboxed grading kernel may not have;
- is a plain module that also imports normally (the grader uses ``diagnosis.compare`` and
  ``protocol.decode`` in its own process, and the tests import everything); modules of this
  folder import one another as ``from . import x`` under ``if __package__:``, else (embedded
  by a cell) as ``import coursetools_x``, which the cell put into ``sys.modules`` first;
- contains no ``'''`` (it is embedded in a raw triple-quoted string) and carries a ``VERSION``
  that the inlined cell repeats, so that the grader can refuse a notebook whose cell is older.

``coursetools.cells`` is the one place that turns these modules into notebook cells; nothing else
copies their text. ``tests/kernel/test_rule.py`` checks the rule.

The modules: ``checks`` (the public test API a lab notebook sees, and the kernel's one
``Session``), ``diagnosis`` (pure: the mistake behind a wrong output, worded by the lab's
``Vocabulary``), ``protocol`` (what a grading kernel emits and the inputs it draws), ``guard``
(the grading kernels' audit hook).
"""
