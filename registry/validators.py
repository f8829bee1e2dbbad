"""Validators shared by the registry's apps."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# What R's read.csv (na.strings = "NA") and pandas.read_csv (its default na_values) read
# as a missing value; compared without case or surrounding spaces, so that "n/a" or
# " None " are refused too (docs/exchange.md, "Codes that read as missing").
MISSING_MARKERS = frozenset({
    "NA", "N/A", "#N/A", "#N/A N/A", "#NA", "<NA>", "NAN", "-NAN", "NULL", "NONE",
    "1.#IND", "-1.#IND", "1.#QNAN", "-1.#QNAN",
})


def reads_as_missing(value: str) -> bool:
    return value.strip().upper() in MISSING_MARKERS


@deconstructible
class NotReadAsMissing:
    """Refuse a code, lot, examiner … that R or pandas would read back as missing."""

    code = "reads_as_missing"

    def __call__(self, value) -> None:
        if isinstance(value, str) and reads_as_missing(value):
            raise ValidationError(
                "\u201c%(value)s\u201d is read as a missing value by R and pandas, so it "
                "would be lost in the exports: write it another way, or leave the field "
                "empty when it is unknown.",
                code=self.code, params={"value": value.strip()},
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, NotReadAsMissing)

    def __hash__(self) -> int:
        return hash(self.code)


not_read_as_missing = NotReadAsMissing()
