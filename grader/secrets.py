"""What learners must never see, defined once.

The release refuses to ship any of it, the Gradescope build packs none of it but the hidden
tests (Gradescope runs them out of the learner's sight), and the sandbox shows learner code
nothing of the repository at all (Landlock allows only the folders it lists), these folders
included.
"""

from __future__ import annotations

# Folders of the repository, relative to its root, with everything below them.
SECRET_FOLDERS = (
    "solutions",  # the reference
    "grader/hidden",  # hidden tests and the answer key
    "instructor",  # tools that read the reference or spell out its markers
    "tests/selftest",
    "tests/unit",
    "tests/mutants",  # mistakes of the reference, and so the reference itself
    "tests/submissions",
    "tests/golden",
    ".ci",
    ".git",  # history holds every version of the above
)
# Words that name the answer key wherever it is copied.
SECRET_NAMES = ("answer_key",)


def is_secret(relative: str) -> bool:
    """Whether a repository path (``a/b.py``, relative to the root) is for the instructor only."""
    path = relative.strip("/")
    return any(path == folder or path.startswith(folder + "/") for folder in SECRET_FOLDERS) or any(
        name in path for name in SECRET_NAMES
    )
