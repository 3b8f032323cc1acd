"""grader/commands."""
