"""Import files as they arrive — CSV files, a directory, a ZIP — checked and packed.

The files are read as streams, a chunk at a time, and copied into one ZIP of
``<dataset>.csv`` members (``Packed``), the form an import's files are kept in until a
worker runs it: nothing is ever held whole in memory as text. Every limit is a setting
(``IMPORT_MAX_*``) and every refusal is a ``ValidationError`` on ``files`` naming the
file: a damaged or hostile archive (bad checksum, corrupt or truncated data, a password,
a member larger than it claims, too many members) is a message, never a traceback.
"""

from __future__ import annotations

import codecs
import io
import lzma
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError

from exchange.datasets import IMPORTABLE
from exchange.parsing import EXPORT_ONLY_FILES, dataset_for

CHUNK = 64 * 1024
# What a damaged archive raises while it is read (a bad CRC is a BadZipFile, a corrupt
# deflate stream a zlib.error, a truncated one an EOFError, a password a RuntimeError).
ARCHIVE_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, lzma.LZMAError,
                  EOFError, OSError, struct.error, RuntimeError, NotImplementedError)


@dataclass(frozen=True)
class Packed:
    """The checked files of one import: dataset names, and the ZIP that holds them."""

    names: tuple[str, ...]
    data: bytes


class _Refused(Exception):
    """Stops the whole collection (a limit reached): the message is the only error."""


def _names() -> str:
    return ", ".join(d.filename for d in IMPORTABLE)


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:,.0f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


def upload_too_large(size: int | None) -> str | None:
    """The refusal of an upload of ``size`` bytes (a request's Content-Length, a file's
    size on disk), or None when it is within ``IMPORT_MAX_UPLOAD_BYTES``."""
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    if size is None or size <= limit:
        return None
    return (f"The upload ({megabytes(size)}) is larger than the limit of {megabytes(limit)}; "
            "nothing was read. Zip the CSV files (an export's ZIP is far smaller), import "
            "them in parts, or ask an operator to run manage.py import.")


def collect(named: Iterable[tuple[str, IO[bytes]]]) -> Packed:
    """(file name, binary file) pairs — ZIPs opened — checked and packed, one member per
    dataset.

    The dictionary, ``outcomes.csv`` and ``measures.csv`` (export only) are passed over; any
    other file must be named after a dataset. Errors name the file (``ValidationError``).
    """
    collector = _Collector()
    try:
        collector.run(named)
    except _Refused as refused:
        raise ValidationError({"files": [str(refused)]}) from None
    if collector.errors:
        raise ValidationError({"files": collector.errors})
    if not collector.names:
        raise ValidationError({"files": [f"No import file found; expected any of {_names()}."]})
    return Packed(tuple(collector.names), collector.out.getvalue())


class _Collector:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.names: list[str] = []
        self.total = 0  # uncompressed bytes read so far
        self.limit = settings.IMPORT_MAX_UNCOMPRESSED_BYTES
        self.out = io.BytesIO()

    def run(self, named: Iterable[tuple[str, IO[bytes]]]) -> None:
        with zipfile.ZipFile(self.out, "w", compression=zipfile.ZIP_DEFLATED) as packed:
            for name, stream in named:
                if name.lower().endswith(".zip"):
                    self._archive(packed, name, stream)
                else:
                    self._file(packed, name, lambda stream=stream: stream, where=name)

    def _archive(self, packed: zipfile.ZipFile, name: str, stream: IO[bytes]) -> None:
        try:
            archive = zipfile.ZipFile(stream)
        except ARCHIVE_ERRORS + (ValueError,):
            self.errors.append(f"{name}: not a readable ZIP file.")
            return
        with archive:
            members = [m for m in archive.infolist() if not _passed_over(m)]
            most = settings.IMPORT_MAX_ZIP_MEMBERS
            if len(members) > most:
                raise _Refused(f"{name}: holds {len(members):,} files, more than the "
                               f"{most:,} an import may have (an export holds "
                               f"{len(IMPORTABLE) + 3}).")
            for member in members:
                where = f"{name}: {member.filename}"
                path = PurePosixPath(member.filename.replace("\\", "/"))
                if path.is_absolute() or ".." in path.parts or ":" in path.parts[0]:
                    self.errors.append(f"{where}: an unsafe path (absolute or with ..) in "
                                       "the ZIP; make the ZIP again from the files.")
                    continue
                if path.name.lower().endswith(".zip"):
                    self.errors.append(f"{where}: a ZIP inside the ZIP; unzip it and "
                                       "upload the inner ZIP or its files.")
                    continue
                if member.flag_bits & 0x1:
                    self.errors.append(f"{where}: encrypted (password-protected); make the "
                                       "ZIP again without a password.")
                    continue
                if self.total + member.file_size > self.limit:
                    raise _Refused(self._too_large())
                self._file(packed, member.filename,
                           lambda m=member, a=archive: a.open(m), where=where)

    def _file(self, packed: zipfile.ZipFile, name: str, opener, *, where: str) -> None:
        base = name.replace("\\", "/").rsplit("/", 1)[-1]
        if base.lower() in EXPORT_ONLY_FILES or base.lower().endswith(".md"):
            return
        dataset = dataset_for(base)
        if dataset is None:
            self.errors.append(f"{base}: not an import file; name each file after its "
                               f"dataset ({_names()}).")
            return
        if dataset.name in self.names:
            self.errors.append(f"{base}: given twice.")
            return
        decoder = codecs.getincrementaldecoder("utf-8")()
        text = True
        try:
            with ExitStack() as stack:
                source = stack.enter_context(opener())
                target = stack.enter_context(packed.open(f"{dataset.name}.csv", "w"))
                while chunk := source.read(CHUNK):
                    self.total += len(chunk)  # counted as read: a lying header is caught
                    if self.total > self.limit:
                        raise _Refused(self._too_large())
                    # Read to the end even when it is not text: a damaged ZIP member looks
                    # like bad text, and its checksum, checked last, says which it is.
                    text = text and _decodes(decoder, chunk)
                    target.write(chunk)
                text = text and _decodes(decoder, b"", final=True)
        except ARCHIVE_ERRORS as error:
            self.errors.append(f"{where}: the ZIP is damaged ({_reason(error)}); make it "
                               "again, or upload the CSV files themselves.")
            return
        if not text:
            self.errors.append(f"{base}: not UTF-8 text; save it as “CSV UTF-8”.")
            return
        self.names.append(dataset.name)

    def _too_large(self) -> str:
        return (f"The import is larger than {megabytes(self.limit)} uncompressed; nothing "
                "was imported. Import it in parts.")


def _decodes(decoder: codecs.IncrementalDecoder, chunk: bytes, final: bool = False) -> bool:
    try:
        decoder.decode(chunk, final)
    except UnicodeDecodeError:
        return False
    return True


def _passed_over(member: zipfile.ZipInfo) -> bool:
    base = member.filename.rstrip("/").rsplit("/", 1)[-1]
    return member.is_dir() or member.filename.startswith("__MACOSX") or base.startswith(".")


def _reason(error: BaseException) -> str:
    text = str(error)
    if "CRC" in text:
        return "a file's checksum does not match its data"
    if isinstance(error, zlib.error | lzma.LZMAError):
        return "its compressed data is corrupt"
    if isinstance(error, EOFError):
        return "it ends before its last file does"
    if isinstance(error, NotImplementedError):
        return "compressed with a method that cannot be read; use ordinary ZIP compression"
    if "encrypted" in text or "password" in text:
        return "a file is encrypted"
    return text.rstrip(".") or type(error).__name__


def read_paths(paths: Iterable[Path]) -> Packed:
    """Files, directories (their ``*.csv``) and ZIPs on disk, for the command."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(path.glob("*.csv"))
        elif path.exists():
            found.append(path)
        else:
            raise ValidationError({"files": [f"{path}: no such file or directory."]})
    refusal = upload_too_large(sum(p.stat().st_size for p in found))
    if refusal:
        raise ValidationError({"files": [refusal]})
    with ExitStack() as stack:
        return collect((p.name, stack.enter_context(p.open("rb"))) for p in found)


def pack(files: dict[str, str]) -> Packed:
    """Dataset → text as one ZIP (files given as text, by tests and services)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(f"{name}.csv", text)
    return Packed(tuple(files), out.getvalue())


def unpack(data: bytes) -> Iterator[tuple[str, IO[str]]]:
    """The packed files as (dataset name, text stream) pairs, each read as it is parsed."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            with archive.open(info) as member, io.TextIOWrapper(
                    member, encoding="utf-8-sig", newline="") as text:
                yield info.filename[:-4], text
