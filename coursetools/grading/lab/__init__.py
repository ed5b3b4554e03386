"""The lab: the instructor notebook read once, the definitions kept from a notebook, and the grading notebooks built from both."""
