"""Compile locale/<lang>/LC_MESSAGES/django.po into the .mo files Django reads.

Run by scripts/bootstrap.sh (so `make run` and `make test` serve French on a fresh
machine) and the Dockerfile; plain Python with polib, no GNU gettext needed. The .mo
files are build products, never committed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    catalogues = sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po"))
    for po_path in catalogues:
        catalogue = polib.pofile(str(po_path))
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        catalogue.save_as_mofile(str(mo_path))
    return 0 if catalogues else 1


if __name__ == "__main__":
    sys.exit(main())
