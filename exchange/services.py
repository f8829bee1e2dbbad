"""Exports: check the request, record it, then write the files as the rows stream out.

Every export is recorded (``ExportRecord``) before its first byte is written and completed
with its row counts after its last; the data itself is only read, through the selectors.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone

import catalogues as cat
from exchange import imports, odm, writers
from exchange.datasets import BY_NAME, DATASETS, code_rows, dictionary_rows
from exchange.files import Packed, pack, unpack
from exchange.models import ExportRecord, ImportRecord, Source
from exchange.selectors import ExportContext, dataset_rows, export_cohort, subject_rows
from patients.models import Patient
from registry.models import AccessSurface, Center
from registry.scoping import (
    can_export,
    can_export_identifiers,
    can_import,
    export_identifier_center_ids,
    load_memberships,
    scope_centers,
)
from registry.services import access_log_record

logger = logging.getLogger(__name__)

FORMATS = ("csv", "xlsx", "zip", "odm")
DICTIONARY_FILES = ("data_dictionary.csv", "codes.csv")


@dataclass
class ExportJob:
    record: ExportRecord
    datasets: tuple[str, ...]
    cohort: QuerySet[Patient]
    context: ExportContext
    row_counts: dict[str, int]

    @property
    def basename(self) -> str:
        if len(self.datasets) == 1:
            return f"{self.datasets[0]}-{self.record.pk}"
        return f"ivig-registry-export-{self.record.pk}"

    def rows(self, name: str) -> Iterator[list[dict]]:
        """The dataset's batches, counted as they go."""
        self.row_counts[name] = 0
        for batch in dataset_rows(name, self.cohort, self.context):
            self.row_counts[name] += len(batch)
            self._log_identified()
            yield batch
            del batch  # one batch in memory at a time

    def _log_identified(self) -> None:
        """The batch's patients whose identifiers were written: one INSERT (access log)."""
        if self.context.identified:
            access_log_record(user=self.record.user, username=self.record.username,
                              surface=AccessSurface.EXPORT, patients=self.context.identified,
                              path=f"export {self.record.pk}")
            self.context.identified = []

    def header(self, name: str) -> list[str]:
        return BY_NAME[name].header(identifiers=self.context.identifiers)


def export_check(
    *, user, datasets: Sequence[str], format: str, center: str | None = None,
    diagnosis: str | None = None, identifiers: bool = False,
) -> tuple[str, ...]:
    """Refuse what may not be exported (PermissionDenied) or makes no sense (ValidationError,
    naming the field); give back the datasets in their canonical order."""
    if not can_export(user):
        raise PermissionDenied("Exports need the data manager or researcher role.")
    if identifiers and not can_export_identifiers(user):
        raise PermissionDenied(
            "Direct identifiers are exported only for data managers of the patient's centre."
        )
    errors: dict[str, str] = {}
    unknown = sorted(set(datasets) - set(BY_NAME))
    if unknown:
        errors["datasets"] = f"Unknown dataset: {', '.join(unknown)}."
    elif not datasets:
        errors["datasets"] = "Choose at least one dataset."
    if format not in FORMATS:
        errors["format"] = f"Unknown format {format!r}: use csv, xlsx, zip or odm."
    if diagnosis and diagnosis not in cat.codes(cat.DIAGNOSES):
        errors["diagnosis"] = f"Unknown diagnosis {diagnosis!r}."
    if center and not scope_centers(Center.objects.filter(code=center), user).exists():
        errors["center"] = f"Unknown centre {center!r}, or not one of yours."
    if errors:
        raise ValidationError(errors)
    return tuple(d.name for d in DATASETS if d.name in set(datasets))


def export_start(
    *, user, source: str, datasets: Sequence[str], format: str, center: str | None = None,
    diagnosis: str | None = None, identifiers: bool = False, username: str | None = None,
) -> ExportJob:
    """Check and record an export; the returned job writes it (``export_*`` below)."""
    load_memberships(user)
    names = export_check(user=user, datasets=datasets, format=format, center=center,
                         diagnosis=diagnosis, identifiers=identifiers)
    filters = {key: value for key, value in (("center", center), ("diagnosis", diagnosis))
               if value}
    record = ExportRecord.objects.create(
        user=user if user.pk else None, username=username or user.get_username(),
        source=source, datasets=list(names), format=format, filters=filters,
        identifiers=identifiers,
    )
    logger.info("Export %s started", record.pk, extra={
        "export_id": record.pk, "user": record.username, "source": source,
        "datasets": list(names), "format": format, "filters": filters,
        "identifiers": identifiers,
    })
    context = ExportContext(
        identifiers=identifiers,
        identifier_centers=export_identifier_center_ids(user) if identifiers else [],
    )
    cohort = export_cohort(user=user, center=center, diagnosis=diagnosis)
    return ExportJob(record=record, datasets=names, cohort=cohort, context=context,
                     row_counts={})


def export_finish(job: ExportJob) -> ExportRecord:
    """Complete the record once: a second call changes nothing."""
    total = sum(job.row_counts.values())
    ExportRecord.objects.filter(pk=job.record.pk, finished_at__isnull=True).update(
        finished_at=timezone.now(), row_counts=job.row_counts, rows=total,
    )
    job.record.refresh_from_db()
    logger.info("Export %s finished: %s rows", job.record.pk, total, extra={
        "export_id": job.record.pk, "rows": total, "row_counts": job.row_counts,
    })
    return job.record


def export_csv(job: ExportJob, *, spreadsheet_safe: bool = False) -> Iterator[bytes]:
    """One dataset as CSV, streamed batch by batch: raw, or ``spreadsheet_safe``
    (``writers.spreadsheet_safe_value``) for a person who opens it in Excel."""
    (name,) = job.datasets
    for chunk in writers.csv_chunks(job.header(name), job.rows(name),
                                    spreadsheet_safe=spreadsheet_safe):
        yield chunk.encode("utf-8")
    export_finish(job)


def export_zip(job: ExportJob, *, spreadsheet_safe: bool = False) -> Iterator[bytes]:
    """Every dataset of the job as ``<dataset>.csv`` plus the data dictionary, in a ZIP
    streamed as it is written; its CSV files raw or ``spreadsheet_safe``."""
    archive = writers.ZipStream()
    for name in job.datasets:
        yield from archive.add(BY_NAME[name].filename, writers.csv_chunks(
            job.header(name), job.rows(name), spreadsheet_safe=spreadsheet_safe))
    for filename, rows in zip(DICTIONARY_FILES, (dictionary_rows(), code_rows()), strict=True):
        yield from archive.add(filename, [writers.csv_text(rows)])
    yield archive.close()
    export_finish(job)


def export_xlsx(job: ExportJob, target: IO[bytes]) -> None:
    """Every dataset of the job as a sheet, then the dictionary and the code lists."""
    book = writers.XlsxBook()
    for name in job.datasets:
        book.sheet(name, job.header(name), job.rows(name))
    book.table("dictionary", dictionary_rows())
    book.table("codes", code_rows())
    book.save(target)
    export_finish(job)


def export_odm(job: ExportJob) -> Iterator[bytes]:
    """Every dataset of the job as one CDISC ODM 1.3.2 file (``exchange.odm``): the study
    metadata, then the clinical data streamed a batch of patients at a time."""

    def counted() -> Iterator[list]:
        for name in job.datasets:
            job.row_counts[name] = 0
        for batch in subject_rows(job.datasets, job.cohort, job.context):
            for _code, rows in batch:
                for name, found in rows.items():
                    job.row_counts[name] += len(found)
            yield batch
            del batch

    for text in odm.document(counted(), identifiers=job.context.identifiers,
                             file_oid=f"ivig-registry-export-{job.record.pk}",
                             created=job.record.started_at, originator=job.record.username):
        yield text.encode("utf-8")
    export_finish(job)


# The export as an HTTP answer, for the page and the API alike.
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odm": "application/xml; charset=utf-8",
}
FILE_EXTENSIONS = {"odm": "xml"}

def file_response(job: ExportJob, format: str, *, spreadsheet_safe: bool = False):
    """The job's file: CSV and ZIP streamed as written (raw unless ``spreadsheet_safe``),
    XLSX from a temporary file."""
    filename = f"{job.basename}.{FILE_EXTENSIONS.get(format, format)}"
    if format == "xlsx":
        target = tempfile.TemporaryFile()
        export_xlsx(job, target)
        target.seek(0)
        response: StreamingHttpResponse = FileResponse(
            target, as_attachment=True, filename=filename, content_type=CONTENT_TYPES["xlsx"])
    else:
        if format == "odm":
            stream = export_odm(job)
        else:
            write = export_csv if format == "csv" else export_zip
            stream = write(job, spreadsheet_safe=spreadsheet_safe)
        response = StreamingHttpResponse(stream, content_type=CONTENT_TYPES[format])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def export_request(name: str, format: str) -> tuple[list[str], str]:
    """``patients.csv`` / ``all.zip`` / ``all.xlsx`` → (datasets, format); else 404."""
    if name == "all" and format in ("zip", "xlsx", "odm"):
        return [d.name for d in DATASETS], format
    if name in BY_NAME and format in ("csv", "xlsx"):
        return [name], format
    raise Http404("No such export.")


def export_directory(job: ExportJob, directory: Path) -> list[Path]:
    """Every dataset of the job as ``<dataset>.csv`` in ``directory``, with the dictionary."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in job.datasets:
        path = directory / BY_NAME[name].filename
        _write_chunks(path, writers.csv_chunks(job.header(name), job.rows(name)))
        written.append(path)
    written += write_dictionary(directory)
    export_finish(job)
    return written


def write_dictionary(directory: Path) -> list[Path]:
    paths = []
    for filename, rows in zip(DICTIONARY_FILES, (dictionary_rows(), code_rows()), strict=True):
        path = directory / filename
        path.write_text(writers.csv_text(rows), encoding="utf-8")
        paths.append(path)
    return paths


def _write_chunks(path: Path, chunks: Iterable[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        for chunk in chunks:
            out.write(chunk)


# Imports -------------------------------------------------------------------------------

def import_start(
    *, user, source: str, mode: str, files: Packed | Mapping[str, str],
    username: str | None = None,
) -> ImportRecord:
    """Record an import and keep its files until it runs (``import_execute``): the files
    checked and packed by ``exchange.files.collect``, or dataset name → CSV text."""
    load_memberships(user)
    if not can_import(user):
        raise PermissionDenied("Imports need the data manager role.")
    if mode not in imports.MODES:
        raise ValidationError({"mode": f"Unknown mode {mode!r}."})
    packed = files if isinstance(files, Packed) else pack(dict(files))
    record = ImportRecord.objects.create(
        user=user if user.pk else None, username=username or user.get_username(),
        source=source, mode=mode, files=[f"{name}.csv" for name in packed.names],
        upload=packed.data,
    )
    logger.info("Import %s queued", record.pk, extra={
        "import_id": record.pk, "user": record.username, "source": source, "mode": mode,
        "files": record.files,
    })
    return record


def import_enqueue(record: ImportRecord) -> None:
    """Run the import in a worker once the record is committed (in-process when eager), on
    the imports' own queue (``CELERY_IMPORT_QUEUE``), away from the outcome recomputes."""
    from exchange.tasks import import_run_task

    def enqueue() -> None:
        try:
            import_run_task.apply_async((record.pk,), retry=False,
                                        queue=settings.CELERY_IMPORT_QUEUE)
        except Exception:
            # Still queued: the broker is unreachable, so say so rather than wait forever.
            # Otherwise it ran in-process (eager) and its failure is already on record.
            unreachable = ImportRecord.objects.filter(
                pk=record.pk, status=ImportRecord.Status.QUEUED,
            ).update(
                status=ImportRecord.Status.FAILED, finished_at=timezone.now(), upload=None,
                failure="The task queue is unreachable: nothing was imported. Try again "
                        "later, or ask an operator to run manage.py import.",
            )
            if unreachable:
                logger.warning("Could not enqueue import %s", record.pk, exc_info=True,
                               extra={"import_id": record.pk})

    transaction.on_commit(enqueue)


def import_execute(
    *, import_id: int, progress: Callable[[int, int], None] | None = None
) -> ImportRecord | None:
    """Run a recorded import once, and store its report.

    Idempotent: a finished import is left alone, one that another worker is running now
    too. One that started and never finished (its worker killed, for memory perhaps, and
    its message delivered again) is not run again: it is marked failed, nothing written.
    """
    record = ImportRecord.objects.filter(pk=import_id).select_related("user").first()
    if record is None or record.finished or record.upload is None:
        return record
    with _running(record.pk) as alone:
        if not alone:
            logger.info("Import %s is running elsewhere; this delivery is dropped", record.pk,
                        extra={"import_id": record.pk})
            return record
        return _import_run(record, progress)


def _import_run(record: ImportRecord,
                progress: Callable[[int, int], None] | None) -> ImportRecord | None:
    if record.user is None and record.source != Source.COMMAND:
        # Only the command line runs as the operator; an account deleted meanwhile
        # must not turn a page import into one with every centre's rights.
        ImportRecord.objects.filter(pk=record.pk).update(
            status=ImportRecord.Status.FAILED, finished_at=timezone.now(), upload=None,
            failure="The account that started this import no longer exists; nothing was "
                    "imported.",
        )
        record.refresh_from_db()
        return record
    user = record.user or operator(record.username)
    load_memberships(user)
    claimed = ImportRecord.objects.filter(pk=record.pk, status=ImportRecord.Status.QUEUED).update(
        status=ImportRecord.Status.RUNNING)
    if not claimed:
        logger.warning("Import %s was started before and never finished", record.pk,
                       extra={"import_id": record.pk})
        return import_interrupted(import_id=record.pk, started=True)
    reporter = ProgressReporter(record.pk, also=progress)
    try:
        # import_execute runs only a record with its upload.
        upload = cast(bytes | memoryview, record.upload)
        report = imports.import_files(user=user, files=unpack(bytes(upload)),
                                      mode=record.mode, progress=reporter)
    except Exception as error:
        logger.exception("Import %s failed", record.pk, extra={"import_id": record.pk})
        ImportRecord.objects.filter(pk=record.pk).update(
            status=ImportRecord.Status.FAILED, finished_at=timezone.now(), upload=None,
            failure=f"The import stopped on an unexpected error ({type(error).__name__}); "
                    "nothing was written.",
        )
        raise
    ImportRecord.objects.filter(pk=record.pk).update(
        status=ImportRecord.Status.DONE, finished_at=timezone.now(), upload=None,
        committed=report.committed, counts=report.counts_dict(),
        errors=[p.as_dict() for p in report.problems], error_count=report.problem_count,
        progress_done=report.patients, progress_total=report.patients,
    )
    logger.info("Import %s done", record.pk, extra={
        "import_id": record.pk, "committed": report.committed,
        "problems": report.problem_count, "counts": report.counts_dict(),
    })
    record.refresh_from_db()
    return record


INTERRUPTED = ("The import was interrupted: {why} before it finished, so nothing was written. "
               "Import the files again{advice}.")


def import_interrupted(*, import_id: int, started: bool = False,
                       timed_out: bool = False) -> ImportRecord | None:
    """Mark an import that cannot finish as failed (one not finished yet only)."""
    if timed_out:
        why, advice = "it ran out of time", ", in smaller parts"
    elif started:
        why, advice = ("the worker running it stopped (out of memory, perhaps, or restarted)",
                       "; if they are large, in smaller parts")
    else:
        why, advice = "the worker running it stopped", ""
    ImportRecord.objects.filter(
        pk=import_id, status__in=[ImportRecord.Status.QUEUED, ImportRecord.Status.RUNNING],
    ).update(status=ImportRecord.Status.FAILED, finished_at=timezone.now(), upload=None,
             failure=INTERRUPTED.format(why=why, advice=advice))
    return ImportRecord.objects.filter(pk=import_id).select_related("user").first()


IMPORT_LOCK = 0x1B1C  # the advisory-lock namespace of running imports (PostgreSQL)


@contextmanager
def _running(import_id: int) -> Iterator[bool]:
    """Hold the import's advisory lock while it runs: True when this process has it.

    A session lock, so that it goes with the worker's connection if the worker dies; no
    lock (always True) where the database has none (SQLite: tasks run in-process).
    """
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [IMPORT_LOCK, import_id])
        (locked,) = cursor.fetchone()
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [IMPORT_LOCK, import_id])


def operator(name: str = "operator"):
    """Whoever runs a management command without ``--user``: shell access to the server
    already gives every centre, so the command does too (and records the login name)."""
    return User(username=name, is_superuser=True)


class ProgressReporter:
    """Writes an import's progress where the page that polls it can see it.

    The import's own transaction stays open until the end, so progress goes through a
    separate connection (a short-lived thread has its own). SQLite would lock against the
    open transaction, and nobody polls there (tasks run in-process), so it is skipped.
    """

    def __init__(self, import_id: int, *, also: Callable[[int, int], None] | None = None):
        self.import_id = import_id
        self.also = also
        self.enabled = connection.vendor == "postgresql"
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        if self.also is not None:
            self.also(done, total)
        step = max(1, total // 100)
        if not self.enabled or (done != total and done - self.last < step):
            return
        self.last = done
        writer = threading.Thread(target=self._write, args=(done, total))
        writer.start()
        writer.join()

    def _write(self, done: int, total: int) -> None:
        try:
            ImportRecord.objects.filter(pk=self.import_id).update(
                progress_done=done, progress_total=total)
        except DatabaseError:
            logger.debug("Progress of import %s not written", self.import_id, exc_info=True)
        finally:
            connections.close_all()
