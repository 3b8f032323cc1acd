"""Grading tools for the Kinesis exercise."""
