"""Figure code shipped as source into chapters and labs (Colab fetches only the notebook).

Every module here is copied *verbatim* into one code cell of each notebook that uses it, by
``coursetools.cells.figure_source``; ``coursetools labs`` refreshes those cells and
``coursetools labs --check`` (and ``tests/test_labs.py``) fails when one has drifted. So each
module

- imports only the standard library, numpy and matplotlib (all present in Colab and on the site);
- carries a ``VERSION`` and defines the names a notebook calls, nothing that needs the repository;
- imports normally too, so that ``tests/test_figures_*.py`` test it directly.
"""
