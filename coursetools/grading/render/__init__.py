"""Rendering: every output written from the results store (gradebook, feedback pages, report, LMS exports)."""
