"""Reading import files: the header and every cell checked against the dataset's columns.

No database here. Each problem names the file, the line (the header is line 1) and the
column, so that a data manager can find and fix it.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

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
from patients import catalogues as cat

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TRUE = {"true", "t", "yes", "y", "1"}
FALSE = {"false", "f", "no", "n", "0"}
# Files that come with an export and carry nothing to import.
EXPORT_ONLY_FILES = {"outcomes.csv", "data_dictionary.csv", "codes.csv"}


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


@dataclass
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
    text = raw if column.type == TEXT else raw.strip()
    if text.strip() == "":
        if column.required:
            raise CellError("This field is required.")
        return "" if column.type == TEXT else None
    if column.type == TEXT:
        return text
    if column.type == CODE:
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
    problems: list[Problem]


def parse_file(dataset: Dataset, text: str) -> ParsedFile:
    """Every row of one CSV file, parsed; rows with a bad cell are set apart and reported."""
    filename = dataset.filename
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return ParsedFile([], [], [
            Problem(filename, 1, "", "The file is empty: it needs a header row.")])
    except csv.Error as error:
        return ParsedFile([], [], [Problem(filename, 1, "", f"Not a readable CSV file: {error}.")])
    problems = _header_problems(dataset, header)
    if problems:
        return ParsedFile([], [], problems)
    columns = {c.name: c for c in dataset.columns}
    lines: list[Line] = []
    rejected: list[Line] = []
    start = reader.line_num + 1
    try:
        for cells in reader:
            number, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                problems.append(Problem(filename, number, "", (
                    f"Expected {len(header)} cells as in the header, found {len(cells)}.")))
                rejected.append(Line(dataset, number))
                continue
            line = Line(dataset, number)
            bad = False
            for name, raw in zip(header, cells, strict=True):
                column = columns[name]
                if column.computed:
                    continue
                try:
                    line.values[name] = parse_cell(column, raw)
                except CellError as error:
                    problems.append(line.problem(str(error), name))
                    bad = True
            (rejected if bad else lines).append(line)
    except csv.Error as error:
        problems.append(Problem(filename, reader.line_num, "", f"Unreadable CSV: {error}."))
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
