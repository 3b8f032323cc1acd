"""Trusted test harness: fixtures, scripts of learner calls, checks and feedback."""
