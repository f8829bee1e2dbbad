"""Helpers of the exchange tests."""

from __future__ import annotations

import csv
import io
import zipfile

from exchange import services
from exchange.models import Source


def export_rows(user, dataset: str, **options) -> list[dict[str, str]]:
    """One dataset exported as CSV through the service, read back as R's read.csv would."""
    job = services.export_start(user=user, source=Source.COMMAND, datasets=[dataset],
                                format="csv", **options)
    return read_csv(b"".join(services.export_csv(job)))


def read_csv(data: bytes | str) -> list[dict[str, str]]:
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return list(csv.DictReader(io.StringIO(text)))


def zip_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def csv_file(header: list[str], *rows: list) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
