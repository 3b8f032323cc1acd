"""Where the grader finds its repository: the instructor's checkout or the learner's copy."""

from __future__ import annotations

from pathlib import Path

# grader/ sits at the top of the repository.
ROOT = Path(__file__).resolve().parents[1]
