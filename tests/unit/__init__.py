"""Fast unit tests of the grader's pure parts: no Kinesis, no sandbox, seconds in all."""
