"""grader/kinesis."""
