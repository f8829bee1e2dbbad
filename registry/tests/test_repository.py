"""The tree a clean clone gets: no merge left half done (a conflict marker in
requirements.txt or a script stops the set-up on a fresh machine before any test runs)."""

import re
import subprocess
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
MARKER = re.compile(r"^(<<<<<<< |>>>>>>> |\|\|\|\|\|\|\| )", re.MULTILINE)


def tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    return [ROOT / name for name in listed if name]


def test_no_tracked_file_holds_a_conflict_marker():
    found = []
    for path in tracked_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
        if MARKER.search(text):
            found.append(str(path.relative_to(ROOT)))
    assert found == []


def test_the_pinned_requirements_parse():
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            assert not line or line.startswith("-r ") or re.fullmatch(
                r"[A-Za-z0-9_.\-\[\],]+==[0-9][0-9A-Za-z.\-]*", line), (name, line)
