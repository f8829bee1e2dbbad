"""Building blocks shared by the registry's apps."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from catalogues import Choices, codes
from registry.audit import current_source
from registry.validators import not_read_as_missing


class VersionedModel(models.Model):
    """A writable clinical record: optimistic-concurrency ``version`` and timestamps (api.md)."""

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class HistorySource(models.Model):
    """Added to every audit row: the surface the change came from (``registry.audit``)."""

    history_source = models.CharField(
        max_length=16, default=current_source, editable=False,
        help_text="page, api, admin, command or import",
    )

    class Meta:
        abstract = True


def audited() -> HistoricalRecords:
    """The audit trail of a clinical model: who, when, what changed, and from where."""
    return HistoricalRecords(bases=[HistorySource])


def choice_constraint(field: str, choices: Choices, name: str, *, nullable: bool = False):
    """A CHECK that keeps a choice column to its catalogue codes, whoever writes it."""
    condition = Q(**{f"{field}__in": codes(choices)})
    if nullable:
        condition |= Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=condition, name=name)


def range_constraint(field: str, low, high, name: str):
    return models.CheckConstraint(
        condition=(
            Q(**{f"{field}__isnull": True})
            | Q(**{f"{field}__gte": low, f"{field}__lte": high})
        ),
        name=name,
    )


class Role(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    DATA_MANAGER = "data_manager", "Data manager"
    RESEARCHER = "researcher", "Researcher"


class Center(models.Model):
    """A neurology department; every patient belongs to one, every user to one or more."""

    name = models.CharField(max_length=200)
    code = models.SlugField(max_length=32, unique=True, help_text="Short unique code, e.g. PSL.",
                            validators=[not_read_as_missing])
    version = models.PositiveIntegerField(default=1, editable=False)
    history = audited()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Membership(models.Model):
    """A user's role in one centre (clinician, data manager or researcher)."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="memberships")
    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    history = audited()

    class Meta:
        ordering = ["user_id", "center_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "center"], name="membership_unique_user_center"
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.role} at {self.center.code}"


class IdempotencyKey(models.Model):
    """A POST's ``Idempotency-Key`` and the answer it got (``registry.idempotency``).

    Written in the same transaction as the POST's own writes, so a key is on record
    exactly when its write committed; a retry with the same key and body is answered
    from here and writes nothing.
    """

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body")
    status_code = models.PositiveSmallIntegerField(null=True, help_text="null while in flight")
    body = models.TextField(blank=True, help_text="the JSON answer")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.user_id})"


class AccessSurface(models.TextChoices):
    """Where a patient's direct identifiers were shown (``AccessLog.surface``)."""

    PAGE = "page", "Patient page"
    API = "api", "API"
    EXPORT = "export", "Export"
    FHIR = "fhir", "FHIR"
    ADMIN = "admin", "Admin"


class AccessLog(models.Model):
    """One display of a patient's direct identifiers (name, date of birth, hospital number):
    who, when, which patient, on which surface. Append-only (a PostgreSQL trigger refuses
    UPDATE and DELETE: registry.tamper). The patient is kept as plain fields — the core
    imports no domain app, and the entry outlives the record it names."""

    at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    user = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="+",
                             null=True, editable=False)
    username = models.CharField(max_length=150, editable=False)
    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="+",
                               editable=False)
    patient_id = models.BigIntegerField(db_index=True, editable=False)
    patient_code = models.CharField(max_length=32, editable=False)
    surface = models.CharField(max_length=16, choices=AccessSurface.choices, editable=False)
    path = models.CharField(max_length=300, blank=True, editable=False,
                            help_text="the page or endpoint, or the export's number")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["center", "-at"], name="access_log_center_at")]
        constraints = [choice_constraint("surface", tuple(AccessSurface.choices),
                                         "access_log_surface_known")]

    def __str__(self) -> str:
        return f"{self.username} saw {self.patient_code} ({self.surface}, {self.at:%Y-%m-%d %H:%M})"


class SignedRecord(models.Model):
    """A record a clinician signs (clinical-rules.md §11 "Sign-off"): while ``signed_at`` is
    set it is read-only everywhere (``registry.signatures``) until a data manager unlocks
    it, which clears the signature and records why; the audit trail keeps every signing
    and unlocking with who, when and why."""

    signed_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        editable=False, help_text="The clinician who reviewed and confirmed the record.",
    )
    signed_at = models.DateTimeField(null=True, blank=True, editable=False)
    unlock_reason = models.TextField(
        blank=True, editable=False,
        help_text="Why a data manager last unlocked the signed record (kept in the history).",
    )

    class Meta:
        abstract = True

    @property
    def signed(self) -> bool:
        return self.signed_at is not None


def signature_constraint(name: str) -> models.CheckConstraint:
    """A signature names its signer and its moment, or neither."""
    return models.CheckConstraint(
        condition=Q(signed_by__isnull=True, signed_at__isnull=True)
        | Q(signed_by__isnull=False, signed_at__isnull=False),
        name=name,
    )
