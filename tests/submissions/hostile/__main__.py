"""``python -m tests.submissions.hostile OUT``: write every hostile submission as a folder.

Each ``OUT/<case>/`` is laid out like a learner's repository (``exercises/`` and whatever the
case adds), ready for ``make grade SUBMISSION=OUT/<case> OUT=...``.
"""

import sys
from pathlib import Path

from tests.mutants.patching import materialize
from tests.submissions.hostile.cases import CASES

if len(sys.argv) != 2:
    sys.exit("usage: python -m tests.submissions.hostile OUT")
for case in CASES:
    materialize(Path(sys.argv[1]) / case.id, case.patches, case.overlay, case.generate)
    print(f"{case.id:24} {case.what}")
