#!/usr/bin/env bash
# Creates .venv from pyproject.toml (with the dev extras) when it is missing or
# older than pyproject.toml. A fresh clone needs nothing else.
set -euo pipefail
cd "$(dirname "$0")/../.."

python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && \
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      python=$candidate; break
    fi
  done
fi
if [ -z "$python" ]; then echo "Python 3.11 is required" >&2; exit 1; fi

stamp=.venv/.installed
if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ]; then exit 0; fi

echo "creating .venv with $python"
"$python" -m venv .venv

.venv/bin/python -m pip install --quiet -e '.[dev]'
touch "$stamp"
