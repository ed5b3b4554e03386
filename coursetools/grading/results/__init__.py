"""Results: the store (OUT/results.json), the instructor's overrides, the late rule, the final points, the run record and the results folder itself."""
