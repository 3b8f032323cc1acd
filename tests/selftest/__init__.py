"""Self-tests of the grading tools."""
