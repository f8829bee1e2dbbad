#!/usr/bin/env bash
# Create .venv and install the pinned requirements (idempotent; used by run.sh and test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=${1:-requirements.txt}
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=.venv/.installed-$(basename "$requirements")
if [ ! -f "$stamp" ] || [ requirements.txt -nt "$stamp" ] || [ "$requirements" -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r "$requirements"
  touch "$stamp"
fi
# The French and English page catalogues (locale/*/LC_MESSAGES/django.po → .mo).
.venv/bin/python scripts/compile_translations.py
