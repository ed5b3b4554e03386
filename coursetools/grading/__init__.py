"""Grading: a folder of student notebooks in; grades, feedback and a class report out.

``python -m coursetools grade --lab LAB --submissions DIR --out DIR`` (see ``cli``). The
official tests decide, and they run outside the student's reach: the student's definitions are
extracted (``extract``), put into a generated notebook after a guard cell (``notebook``,
``guard``), and executed by pytest + nbval (``runner``, ``plugin``) with the instructor's
visible and hidden test cells in record mode. The recorded results are compared with those of
the instructor's own code in the grader's process (``compare``), then written out
(``gradebook``, ``report``). ``batch`` ties the steps together.
"""
