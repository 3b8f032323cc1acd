"""Mutation testing of the grader: small learner mistakes it must catch (``make mutants``)."""
