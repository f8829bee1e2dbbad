"""Reading import files: the header and every cell checked against the dataset's columns.

No database here. Each problem names the file, the line (the header is line 1) and the
column, so that a data manager can find and fix it.
"""

from __future__ import annotations

import csv
import io
import itertools
import operator
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.conf import settings

import catalogues as cat
from exchange.datasets import (
    BOOLEAN,
    BY_NAME,
    CODE,
    CODE_LISTS,
    DATE,
    DECIMAL,
    INTEGER,
    TEXT,
    Column,
    Dataset,
)

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TRUE = {"true", "t", "yes", "y", "1"}
FALSE = {"false", "f", "no", "n", "0"}
# Files that come with an export and carry nothing to import.
EXPORT_ONLY_FILES = {"outcomes.csv", "measures.csv", "queries.csv", "data_dictionary.csv",
                     "codes.csv"}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column,
                "message": self.message}

    def __str__(self) -> str:
        where = f"{self.file} line {self.line}"
        return f"{where}, {self.column}: {self.message}" if self.column else (
            f"{where}: {self.message}")


class Problems:
    """The problems of one import, bounded: the first ``IMPORT_MAX_PROBLEMS`` of them by
    file and line (in the order found within a line), and how many there were in all.

    Behaves as the list of the kept problems; ``len`` and truth count them all.
    """

    def __init__(self, limit: int | None = None):
        self.limit = settings.IMPORT_MAX_PROBLEMS if limit is None else limit
        self.count = 0
        self._kept: list[Problem] = []

    def append(self, problem: Problem) -> None:
        self.count += 1
        self._kept.append(problem)
        if len(self._kept) >= 2 * self.limit:
            self._trim()

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.append(problem)

    def __iadd__(self, problems: Iterable[Problem]) -> Problems:
        self.extend(problems)
        return self

    def _trim(self) -> None:
        self._kept.sort(key=lambda p: (p.file, p.line))  # stable: a line's order kept
        del self._kept[self.limit:]

    def kept(self) -> list[Problem]:
        if len(self._kept) > self.limit:
            self._trim()
        return list(self._kept)

    @property
    def more(self) -> int:
        """How many were found beyond those kept."""
        return self.count - len(self.kept())

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.kept())

    def __getitem__(self, index):
        return self.kept()[index]

    def __eq__(self, other) -> bool:
        if isinstance(other, Problems):
            other = other.kept()
        return self.kept() == other

    __hash__ = None  # type: ignore[assignment]


@dataclass(slots=True)
class Line:
    """One row of an import file, its cells parsed (only the columns the file has)."""

    dataset: Dataset
    number: int
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def file(self) -> str:
        return self.dataset.filename

    def problem(self, message: str, column: str = "") -> Problem:
        return Problem(self.file, self.number, column, message)

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)


class CellError(ValueError):
    pass


def parse_cell(column: Column, raw: str) -> Any:
    if "\x00" in raw:
        raise CellError("Contains a NUL character (\\x00), which cannot be stored: remove it "
                        "(it often comes from a file saved as UTF-16 rather than UTF-8).")
    text = raw if column.type == TEXT else raw.strip()
    if text.strip() == "":
        if column.required:
            raise CellError("This field is required.")
        return "" if column.type == TEXT else None
    if column.type == TEXT:
        return text
    if column.type == CODE:
        assert column.codes is not None, f"{column.name}: a code column names its list"
        codes = cat.codes(CODE_LISTS[column.codes])
        if text not in codes:
            raise CellError(f"{text!r} is not a code of {column.codes}: use one of "
                            f"{', '.join(codes)}.")
        return text
    if column.type == INTEGER:
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError(f"{text!r} is not a whole number.") from None
        if not number.is_finite() or number != number.to_integral_value():
            raise CellError(f"{text!r} is not a whole number.")
        return int(number)
    if column.type == DECIMAL:
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError(f"{text!r} is not a number (use . as the decimal point).") from None
        if not number.is_finite():
            raise CellError(f"{text!r} is not a number.")
        return number
    if column.type == DATE:
        try:
            if not ISO_DATE.match(text):
                raise ValueError
            return date.fromisoformat(text)
        except ValueError:
            raise CellError(f"{text!r} is not a date: write it as YYYY-MM-DD.") from None
    if column.type == BOOLEAN:
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
        raise CellError(f"{text!r} is not true or false.")
    raise CellError(f"Column type {column.type} cannot be imported.")  # pragma: no cover


def dataset_for(filename: str) -> Dataset | None:
    """The dataset a file is named after (``visits.csv`` → visits)."""
    name = filename.rsplit("/", 1)[-1]
    if name.lower().endswith(".csv"):
        name = name[:-4]
    dataset = BY_NAME.get(name)
    return dataset if dataset is not None and dataset.importable else None


@dataclass
class ParsedFile:
    lines: list[Line]  # the valid rows
    rejected: list[Line]  # rows with a bad cell: only the cells that could be read
    problems: Problems


_MISSING = object()
MAX_SHARED_VALUES = 100_000


class LineTooLong(Exception):
    def __init__(self, number: int):
        super().__init__(number)
        self.number = number


def _physical_lines(source: IO[str], limit: int) -> Iterator[str]:
    """The file's lines as the CSV reader asks for them, one at a time; a line longer than
    ``limit`` characters stops the reading (``LineTooLong``) before it is held whole."""
    number = 0
    while line := source.readline(limit + 2):
        number += 1
        if len(line) > limit and len(line.rstrip("\r\n")) > limit:
            raise LineTooLong(number)
        yield line


def parse_file(dataset: Dataset, source: str | IO[str], *,
               problems: Problems | None = None) -> ParsedFile:
    """Every row of one CSV file (its text, or a text stream read row by row), parsed; rows
    with a bad cell are set apart and reported (into ``problems``, when given)."""
    filename = dataset.filename
    problems = Problems() if problems is None else problems
    limit = settings.IMPORT_MAX_LINE_CHARS
    csv.field_size_limit(limit)
    if isinstance(source, str):
        source = io.StringIO(source.removeprefix("\ufeff"), newline="")
    reader = csv.reader(_physical_lines(source, limit))
    lines: list[Line] = []
    rejected: list[Line] = []
    try:
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            problems.append(Problem(filename, 1, "", "The file is empty: it needs a header row."))
            return ParsedFile([], [], problems)
        header_problems = _header_problems(dataset, header)
        if header_problems:
            problems += header_problems
            return ParsedFile([], [], problems)
        columns = {c.name: c for c in dataset.columns}
        # Codes, dates, numbers and keys repeat from row to row: one object for each value
        # keeps the rows an import holds several times smaller than one per cell, and a
        # value read before is looked up rather than parsed again.
        shared = {name for name, c in columns.items()
                  if c.type != TEXT or name in dataset.key}
        # The header's columns in order, computed ones left out: their names, columns, and
        # the values of each already read (a column not shared has an empty dict, in which
        # nothing is found).
        names = tuple(name for name in header if not columns[name].computed)
        read = [columns[name] for name in names]
        known: list[dict[str, Any]] = [{} for _ in names]
        is_shared = [name in shared for name in names]
        at = [i for i, name in enumerate(header) if not columns[name].computed]
        pick = (operator.itemgetter(*at) if len(at) > 1
                else (lambda cells: (cells[at[0]],)) if at else (lambda cells: ()))
        missing = itertools.repeat(_MISSING)
        kept = 0  # values held in all the columns' dicts (at most MAX_SHARED_VALUES)
        width = len(header)
        start = reader.line_num + 1
        for cells in reader:
            number, start = start, reader.line_num + 1
            if len(cells) != width:
                if not "".join(cells).strip():
                    continue
                problems.append(Problem(filename, number, "", (
                    f"Expected {width} cells as in the header, found {len(cells)}.")))
                rejected.append(Line(dataset, number))
                continue
            if not "".join(cells).strip():
                continue
            raws = pick(cells)
            values = list(map(dict.get, known, raws, missing))
            bad = False
            if _MISSING in values:  # cells not read before, parsed in the header's order
                for index, value in enumerate(values):
                    if value is not _MISSING:
                        continue
                    raw = raws[index]
                    try:
                        value = values[index] = parse_cell(read[index], raw)
                    except CellError as error:
                        problems.append(Problem(filename, number, names[index], str(error)))
                        bad = True
                        continue
                    if is_shared[index] and kept < MAX_SHARED_VALUES:
                        known[index][raw] = value
                        kept += 1
            if bad:
                rejected.append(Line(dataset, number, {
                    name: value for name, value in zip(names, values, strict=True)
                    if value is not _MISSING}))
            else:
                lines.append(Line(dataset, number, dict(zip(names, values, strict=True))))
    except LineTooLong as error:
        problems.append(Problem(filename, error.number, "", (
            f"Line {error.number} is longer than {limit:,} characters: not a CSV file of "
            f"{dataset.name} (or a cell far too long); the rest of the file was not read.")))
    except csv.Error as error:
        where = max(reader.line_num, 1)
        if "field larger than field limit" in str(error):
            message = (f"A cell is longer than {limit:,} characters; the rest of the file "
                       "was not read.")
        else:
            message = (f"Not a readable CSV file: {error}." if where == 1
                       else f"Unreadable CSV: {error}.")
        problems.append(Problem(filename, where, "", message))
    except UnicodeDecodeError:
        problems.append(Problem(filename, max(reader.line_num, 1), "", (
            "Not UTF-8 text; save it as “CSV UTF-8”.")))
    return ParsedFile(lines, rejected, problems)


def _header_problems(dataset: Dataset, header: list[str]) -> list[Problem]:
    filename = dataset.filename
    known = {c.name for c in dataset.columns}
    problems = [
        Problem(filename, 1, name, f"Unknown column {name!r} in {filename}." if name
                else "A column has no name (an empty header cell).")
        for name in header if name not in known
    ]
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem(filename, 1, name, f"Column {name!r} appears twice."))
        seen.add(name)
    problems += [
        Problem(filename, 1, c.name, f"The required column {c.name!r} is missing.")
        for c in dataset.columns if c.required and c.name not in header
    ]
    return problems
