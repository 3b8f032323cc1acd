"""Adapters that report grading results in the formats of teaching platforms."""
