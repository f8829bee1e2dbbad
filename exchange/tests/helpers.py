"""Helpers of the exchange tests."""

from __future__ import annotations

import csv
import io
import zipfile
from contextlib import contextmanager

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


UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


@contextmanager
def broker_down():
    """Point this process's Celery producer at a port where no broker listens.

    The app's configuration is namespaced (``CELERY_…``): its keys must be set under those
    names, or the producer keeps the old broker. They are taken out again afterwards (not
    set back), so that later un-namespaced changes (``conf.task_always_eager = …``) win
    again as they did before.
    """
    from registry.celery import app

    keys = ("CELERY_BROKER_URL", "CELERY_BROKER_WRITE_URL", "CELERY_TASK_ALWAYS_EAGER")
    saved = {key: app.conf.changes[key] for key in keys if key in app.conf.changes}
    app.conf.update(CELERY_BROKER_URL=UNREACHABLE_BROKER,
                    CELERY_BROKER_WRITE_URL=UNREACHABLE_BROKER, CELERY_TASK_ALWAYS_EAGER=False)
    app._pool = app.amqp._producer_pool = None
    try:
        yield
    finally:
        for key in keys:
            app.conf.changes.pop(key, None)
        app.conf.changes.update(saved)
        app._pool = app.amqp._producer_pool = None
