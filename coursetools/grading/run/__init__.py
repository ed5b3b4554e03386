"""Running grading notebooks: pytest + nbval in sandboxed kernels, the budgets enforced from outside, the reference cache."""
