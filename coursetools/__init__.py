"""Tooling for the Backprop by Hand course: what no library does for us.

One module per step: ``notebooks`` (read, clean and check committed notebooks), and the
modules that later steps add (student-lab generation, grading, site checks). The command line
entry point is ``python -m coursetools``.
"""
