"""grader/pipeline."""
