"""Build Gradescope's ``autograder.zip``: ``python -m instructor.gradescope_build OUT``.

The zip holds ``setup.sh`` and ``run_autograder`` at its root and the grader with its hidden
tests inside; on Gradescope ``run_autograder`` calls ``python -m grader.platform.gradescope run``.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

from grader import secrets
from grader.paths import ROOT

PACKED = ("grader", "tests/public")
PACKED_FILES = ("requirements.lock", "pyproject.toml")

SETUP_SH = (
    """#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image. The image's python3 is used
# when it is 3.11 or newer (Ubuntu 24.04 has 3.12 and no python3.11 package); older images
# get python3.11 from apt (Ubuntu 22.04 has it).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
recent() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }
PY=""
for candidate in python3 python3.13 python3.12 python3.11; do
  if command -v "$candidate" >/dev/null 2>&1 && recent "$candidate"; then PY="$candidate"; break; fi
done
if [ -z "$PY" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11 python3.11-venv
  PY=python3.11
fi
echo "Python for the autograder: $PY ($("$PY" --version 2>&1))"
if ! "$PY" -m venv "$ROOT/venv"; then
  # Debian and Ubuntu ship venv's pip bootstrap in a package of its own.
  rm -rf "$ROOT/venv"
  apt-get update -qq
"""
    '  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$("$PY" -c \'import sys; '
    'print(f"python3.{sys.version_info[1]}-venv")\')"\n'
    """\
  "$PY" -m venv "$ROOT/venv"
fi
"$ROOT/venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/source/requirements.lock"
"""
)

RUN_AUTOGRADER = (
    """#!/usr/bin/env bash
# Gradescope runs this for every submission. AUTOGRADER_ROOT (default /autograder) and
# AUTOGRADER_PYTHON let the same script run anywhere else, e.g. for a dry run.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PY="${AUTOGRADER_PYTHON:-}"
case "$PY" in
  /*|"") ;;
  */*) PY="$PWD/$PY" ;;  # relative to where the script was started, before the cd below
esac
if [ -z "$PY" ]; then
"""
    '  if [ -x "$ROOT/venv/bin/python" ]; then PY="$ROOT/venv/bin/python"; else PY="$(command -v '
    'python3.11 || command -v python3)"; fi\n'
    """\
fi
cd "$ROOT/source" && exec "$PY" -m grader.platform.gradescope run --root "$ROOT"
"""
)


def _packed_files() -> list[Path]:
    """Files of the grader and public tests, relative to ROOT: of the secrets, the hidden tests only."""
    files = [Path(name) for name in PACKED_FILES]
    for folder in PACKED:
        for path in sorted((ROOT / folder).rglob("*")):
            relative = path.relative_to(ROOT)
            if (
                not path.is_file()
                or any(p == "__pycache__" or p.startswith(".") for p in relative.parts)
                or path.suffix == ".pyc"
            ):
                continue
            if secrets.is_secret(relative.as_posix()) and relative.parts[:2] != ("grader", "hidden"):
                continue
            files.append(relative)
    return files


def build(out: Path) -> Path:
    """Write ``out/autograder.zip`` and return its path."""
    if not any((ROOT / "grader" / "hidden").glob("test_*.py")):
        print("warning: grader/hidden has no tests: Gradescope will run the public tests only", file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "autograder.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = 0o100755 << 16  # executable once Gradescope unzips it
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
        for relative in _packed_files():
            archive.write(ROOT / relative, relative.as_posix())
    return target


def main(argv: list[str] | None = None) -> int:
    """Command line: ``OUT``."""
    parser = argparse.ArgumentParser(prog="python -m instructor.gradescope_build", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    print(f"wrote {build(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
