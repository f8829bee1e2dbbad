"""Data-quality queries (clinical-rules.md §11 "Queries").

A query asks a person about one record of a patient: raised by the registry after a
recompute (one of the §11 rules) or by hand by a data manager (``manual``). Its identity
is its rule, its record and the values it found (``fingerprint``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

import catalogues as cat
from patients.models import Patient
from registry.models import VersionedModel, audited, choice_constraint

MANUAL = "manual"
RULE_CHOICES = cat.QUERY_RULES
STATUS_CHOICES = cat.QUERY_STATUSES
OPEN, ANSWERED, CLOSED = cat.codes(STATUS_CHOICES)
# Why a query was closed: the registry found the data fixed (``auto``); a data manager
# confirmed the data are right (``confirmed``: the same values never raise it again) or
# closed it after a correction or an answer (``resolved``).
CLOSE_REASON_CHOICES = cat.QUERY_CLOSE_REASONS
AUTO, CONFIRMED, RESOLVED = cat.codes(CLOSE_REASON_CHOICES)

# The records a query may name (model labels): the patient and each record of theirs.
RECORD_MODELS = {
    "patients.patient": "patient",
    "patients.visit": "visit",
    "treatments.series": "series",
    "patients.titre": "titre",
    "patients.paraprotein": "paraprotein",
    "patients.priortreatment": "prior_treatment",
    "patients.nervestudy": "nerve_study",
}
RECORD_LABELS = {name: label for label, name in RECORD_MODELS.items()}


class QueryQuerySet(models.QuerySet):
    def unresolved(self):
        return self.filter(status__in=(OPEN, ANSWERED))


class Query(VersionedModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="queries")
    record_model = models.CharField(
        max_length=40, choices=[(label, name) for label, name in RECORD_MODELS.items()],
        help_text="The model label of the record the query is about.")
    record_id = models.BigIntegerField(help_text="The id of that record.")
    rule = models.CharField(max_length=40, choices=RULE_CHOICES)
    message = models.TextField()
    fingerprint = models.JSONField(
        default=dict, blank=True,
        help_text="The values the rule found: the same rule, record and values are the same"
                  " query.")
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=OPEN)
    answer = models.TextField(blank=True)
    raised_at = models.DateTimeField(auto_now_add=True)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+",
                                  help_text="Who raised it by hand; empty: the registry.")
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+",
                                  help_text="Empty when the registry closed it.")
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=10, choices=CLOSE_REASON_CHOICES, blank=True)
    history = audited()

    objects = QueryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "queries"
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["patient", "status"], name="query_patient_status")]
        constraints = [
            choice_constraint("rule", RULE_CHOICES, "query_rule_valid"),
            choice_constraint("status", STATUS_CHOICES, "query_status_valid"),
            choice_constraint("record_model", tuple(RECORD_MODELS.items()),
                              "query_record_model_valid"),
            models.CheckConstraint(
                condition=Q(status=CLOSED, closed_at__isnull=False) & ~Q(close_reason="")
                | ~Q(status=CLOSED) & Q(close_reason=""),
                name="query_closed_has_reason"),
            models.CheckConstraint(condition=~Q(rule=MANUAL) | Q(raised_by__isnull=False),
                                   name="query_manual_has_author"),
            # One unresolved query per identity (rule, record, values): two recomputes
            # racing never raise it twice.
            models.UniqueConstraint(
                fields=["rule", "record_model", "record_id", "fingerprint"],
                condition=Q(status__in=(OPEN, ANSWERED)) & ~Q(rule=MANUAL),
                name="query_one_unresolved_per_finding"),
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} on {self.record_name} {self.record_id} ({self.status})"

    @property
    def record_name(self) -> str:
        return RECORD_MODELS.get(self.record_model, self.record_model)

    @property
    def identity(self) -> tuple[str, str, int, str]:
        return identity(self.rule, self.record_model, self.record_id, self.fingerprint)


def identity(rule: str, model: str, record_id: int, values) -> tuple[str, str, int, str]:
    """A query's identity (§11): its rule, its record and the values it found."""
    import json

    return (rule, model, int(record_id), json.dumps(values, sort_keys=True))
