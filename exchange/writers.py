"""File formats: CSV text for R and pandas, an XLSX workbook for Excel and SPSS, a ZIP of CSVs.

No database here: writers take rows (dicts keyed by column name) and give bytes.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

Row = dict[str, Any]

# Excel takes a text cell starting with one of these as a formula: never let data run.
FORMULA_PREFIXES = ("=", "+", "-", "@")
# In a CSV file a tab or carriage return first also starts one (OWASP, "CSV Injection").
CSV_FORMULA_PREFIXES = (*FORMULA_PREFIXES, "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")


def csv_value(value: Any) -> str:
    """One cell as R's and pandas' readers expect it: empty for missing, TRUE/FALSE, ISO dates.

    Booleans are upper case because base R's ``read.csv`` reads only ``TRUE``/``FALSE``
    (``T``/``F``, ``True``/``False``) as logical, not ``true``/``false``; pandas reads
    ``TRUE``/``FALSE`` as booleans too. Imports accept either case."""
    if value is None:
        return ""
    if value is True:
        return "TRUE"
    if value is False:
        return "FALSE"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


class _Lines:
    """A file-like sink that keeps what ``csv.writer`` writes until it is taken."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


def spreadsheet_safe_value(value: Any) -> str:
    """One CSV cell that a spreadsheet opens as text, never as a formula.

    A text starting with a formula character gets a leading ``'`` (OWASP's advice for
    CSV injection). Numbers are never changed, and neither is a text that is just a
    number (``-1``, ``+2.5``): a spreadsheet reads it as that number, nothing runs.
    """
    if (isinstance(value, str) and value.startswith(CSV_FORMULA_PREFIXES)
            and not _PLAIN_NUMBER.fullmatch(value)):
        return "'" + value
    return csv_value(value)


def csv_chunks(
    header: list[str], batches: Iterable[list[Row]], *, spreadsheet_safe: bool = False,
) -> Iterator[str]:
    """CSV text, the header first, then one chunk per batch of rows; raw (as stored, for
    programs) unless ``spreadsheet_safe``."""
    cell = spreadsheet_safe_value if spreadsheet_safe else csv_value
    sink = _Lines()
    writer = csv.writer(sink, lineterminator="\n")
    writer.writerow(header)
    yield sink.take()
    for rows in batches:
        writer.writerows([cell(row.get(name)) for name in header] for row in rows)
        del rows  # not kept alive while the next batch is read: one batch in memory at a time
        if sink.parts:
            yield sink.take()


def csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


class ZipStream:
    """A ZIP archive written to a non-seekable sink and handed out as it grows, so that a
    download starts at once and never sits whole in memory."""

    def __init__(self) -> None:
        self._buffer = _Bytes()
        self._zip = zipfile.ZipFile(self._buffer, mode="w", compression=zipfile.ZIP_DEFLATED)

    def add(self, name: str, chunks: Iterable[str]) -> Iterator[bytes]:
        with self._zip.open(name, mode="w", force_zip64=True) as member:
            for chunk in chunks:
                member.write(chunk.encode("utf-8"))
                if data := self._buffer.take():
                    yield data
        if data := self._buffer.take():
            yield data

    def close(self) -> bytes:
        self._zip.close()
        return self._buffer.take()


class _Bytes(io.RawIOBase):
    """Write-only, non-seekable: ``zipfile`` then writes data descriptors, not seeks."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value  # Excel has no zones
    if isinstance(value, Decimal):
        return float(value)
    return value


class XlsxBook:
    """An XLSX workbook in openpyxl's write-only mode (rows go to temporary files, not
    memory); one sheet per dataset."""

    def __init__(self) -> None:
        self.book = Workbook(write_only=True)

    def sheet(self, title: str, header: list[str], batches: Iterable[list[Row]]) -> int:
        sheet = self.book.create_sheet(title=title[:31])
        sheet.append(header)
        count = 0
        for rows in batches:
            for row in rows:
                sheet.append([self._cell(sheet, row.get(name)) for name in header])
            count += len(rows)
            del rows
        return count

    def table(self, title: str, rows: list[list[str]]) -> None:
        sheet = self.book.create_sheet(title=title[:31])
        for row in rows:
            sheet.append([self._cell(sheet, value) for value in row])

    @staticmethod
    def _cell(sheet, value: Any) -> Any:
        value = _xlsx_value(value)
        if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            return cell
        return value

    def save(self, target: IO[bytes]) -> None:
        self.book.save(target)
