"""Benchmarks of the course's build and tests (`make bench`); results go to JSON files here."""
