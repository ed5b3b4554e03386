"""Scoring: each student's recorded results judged against the reference run, in the grader's process."""
