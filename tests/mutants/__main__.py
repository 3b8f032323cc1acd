"""``python -m tests.mutants``: print the kill table of the mutants."""

import sys

from tests.mutants.table import main

sys.exit(main(sys.argv[1:]))
