"""Intake: the files of a hand-in become one row per student, and bytes become notebooks."""
