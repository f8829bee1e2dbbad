"""Import files as they arrive — CSV files, a directory, a ZIP — turned into dataset → text."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

from django.core.exceptions import ValidationError

from exchange.datasets import IMPORTABLE
from exchange.parsing import EXPORT_ONLY_FILES, dataset_for

MAX_IMPORT_BYTES = 500 * 1024 * 1024  # uncompressed; a 10,000-patient export is far below


def _names() -> str:
    return ", ".join(d.filename for d in IMPORTABLE)


def collect(named: Iterable[tuple[str, bytes]]) -> dict[str, str]:
    """(file name, content) pairs — ZIPs opened — as dataset name → CSV text.

    The dictionary and ``outcomes.csv`` that come with an export are passed over; any
    other file must be named after a dataset. Errors name the file (``ValidationError``).
    """
    files: dict[str, str] = {}
    errors: list[str] = []
    for name, content in _expand(named):
        base = name.rsplit("/", 1)[-1]
        if base.lower() in EXPORT_ONLY_FILES or base.lower().endswith(".md"):
            continue
        dataset = dataset_for(base)
        if dataset is None:
            errors.append(f"{base}: not an import file; name each file after its dataset "
                          f"({_names()}).")
            continue
        if dataset.name in files:
            errors.append(f"{base}: given twice.")
            continue
        try:
            files[dataset.name] = content.decode("utf-8")
        except UnicodeDecodeError:
            errors.append(f"{base}: not UTF-8 text; save it as “CSV UTF-8”.")
    if errors:
        raise ValidationError({"files": errors})
    if not files:
        raise ValidationError({"files": [f"No import file found; expected any of {_names()}."]})
    return files


def _expand(named: Iterable[tuple[str, bytes]]) -> Iterable[tuple[str, bytes]]:
    total = 0
    for name, content in named:
        if not name.lower().endswith(".zip"):
            total += len(content)
            yield name, content
            continue
        try:
            archive = zipfile.ZipFile(io.BytesIO(content))
        except zipfile.BadZipFile:
            raise ValidationError({"files": [f"{name}: not a readable ZIP file."]}) from None
        with archive:
            for member in archive.infolist():
                base = member.filename.rsplit("/", 1)[-1]
                if member.is_dir() or member.filename.startswith("__MACOSX") or (
                        base.startswith(".")):
                    continue
                total += member.file_size
                if total > MAX_IMPORT_BYTES:
                    raise ValidationError({"files": ["The import is larger than 500 MB."]})
                yield member.filename, archive.read(member)
        if total > MAX_IMPORT_BYTES:
            raise ValidationError({"files": ["The import is larger than 500 MB."]})


def read_paths(paths: Iterable[Path]) -> dict[str, str]:
    """Files, directories (their ``*.csv``) and ZIPs on disk, for the command."""
    named: list[tuple[str, bytes]] = []
    for path in paths:
        if path.is_dir():
            named += [(p.name, p.read_bytes()) for p in sorted(path.glob("*.csv"))]
        elif path.exists():
            named.append((path.name, path.read_bytes()))
        else:
            raise ValidationError({"files": [f"{path}: no such file or directory."]})
    return collect(named)


def pack(files: dict[str, str]) -> bytes:
    """Dataset → text as one ZIP, the form an import's files are kept in until it runs."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(f"{name}.csv", text)
    return out.getvalue()


def unpack(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename[:-4]: archive.read(info).decode("utf-8")
                for info in archive.infolist()}
