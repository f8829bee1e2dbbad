"""The record of every export and import: who, when, what, how, and what came of it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Source(models.TextChoices):
    PAGE = "page", "Page"
    API = "api", "API"
    COMMAND = "command", "Management command"


class ExportRecord(models.Model):
    """One export of registry data (the audit trail of data leaving the registry).

    Written when the export starts, so that an interrupted download is on record too,
    and completed once — row counts and ``finished_at`` — when its last row is written.
    Nothing edits or deletes it otherwise; the admin shows it read-only.
    """

    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    # Kept as text so that the record outlives the account.
    username = models.CharField(max_length=150)
    source = models.CharField(max_length=10, choices=Source.choices)
    datasets = models.JSONField(default=list)
    format = models.CharField(max_length=10)
    filters = models.JSONField(default=dict, blank=True)
    identifiers = models.BooleanField(
        default=False, help_text="Direct identifiers (name, date of birth, hospital number)."
    )
    row_counts = models.JSONField(default=dict, blank=True)
    rows = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=Source.values), name="export_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True, rows__isnull=True)
                | Q(finished_at__isnull=False, rows__isnull=False),
                name="export_rows_counted_when_finished",
            ),
        ]

    def __str__(self) -> str:
        return f"Export {self.pk} by {self.username} ({self.format})"

    @property
    def completed(self) -> bool:
        return self.finished_at is not None


# What an import did with each row, in the order its report lists them (``ImportRecord.counts``).
IMPORT_OUTCOMES = ("created", "updated", "unchanged", "skipped")


class ImportRecord(models.Model):
    """One import of CSV files: the files, the mode, its progress and its report."""

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", "Write nothing unless every row is valid"
        VALID_ONLY = "valid_only", "Write the valid rows, skip the bad ones"
        DRY_RUN = "dry_run", "Validate only, write nothing"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    username = models.CharField(max_length=150)
    source = models.CharField(max_length=10, choices=Source.choices)
    mode = models.CharField(max_length=20, choices=Mode.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    files = models.JSONField(default=list)
    # The uploaded files (a ZIP) until the import has run; emptied then, because they
    # may hold direct identifiers.
    upload = models.BinaryField(null=True, blank=True, editable=False)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    committed = models.BooleanField(
        default=False, help_text="Whether the import wrote anything."
    )
    counts = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=Source.values), name="import_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(mode__in=["all_or_nothing", "valid_only", "dry_run"]),
                name="import_mode_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "done", "failed"]),
                name="import_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(progress_done__lte=models.F("progress_total")),
                name="import_progress_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk} by {self.username} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    def count_rows(self) -> list[tuple[str, list[tuple[str, int]]]]:
        """(file, [(outcome, n), …]) in the datasets' order (JSON keeps no order)."""
        from exchange.datasets import DATASETS

        return [
            (dataset.filename, [(what, self.counts[dataset.name][what])
                                for what in IMPORT_OUTCOMES
                                if self.counts[dataset.name].get(what)])
            for dataset in DATASETS if dataset.name in self.counts
        ]

    @property
    def more_errors(self) -> int:
        """Problems found beyond those kept in ``errors`` (the first IMPORT_MAX_PROBLEMS)."""
        return max(self.error_count - len(self.errors or ()), 0)

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return round(100 * self.progress_done / self.progress_total)
