"""The ``queries/`` resource (api.md "Additions of 2026-12-01")."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from patients.api.fields import ScopedPatientField
from queries.models import (
    CLOSE_REASON_CHOICES,
    RECORD_LABELS,
    RECORD_MODELS,
    RULE_CHOICES,
    STATUS_CHOICES,
    Query,
)
from registry.api.serializers import VersionedSerializer


class RecordSerializer(serializers.Serializer):
    """The record a query is about: its kind and id."""

    model = serializers.ChoiceField(choices=sorted(RECORD_LABELS))
    id = serializers.IntegerField(min_value=1)


@extend_schema_field(RecordSerializer)
class RecordField(serializers.Field):
    """``{"model": "visit", "id": 12}``: written once, on a manual query (the patient itself
    when omitted); the registry's own queries name the record their rule found."""

    def to_representation(self, query: Query) -> dict:
        return {"model": RECORD_MODELS.get(query.record_model, query.record_model),
                "id": query.record_id}

    def to_internal_value(self, data) -> dict:
        record = RecordSerializer(data=data)
        record.is_valid(raise_exception=True)
        return {"record_model": RECORD_LABELS[record.validated_data["model"]],
                "record_id": record.validated_data["id"]}

    def get_attribute(self, instance):
        return instance


class UserNameField(serializers.CharField):
    def to_representation(self, value) -> str:
        return value.get_username()


class CloseReasonField(serializers.ChoiceField):
    """``close_reason``: null until the query is closed (the column stores "", which is
    no code of ``query_close_reasons``), as ``closed_by`` and ``closed_at`` are."""

    def to_representation(self, value):
        return super().to_representation(value) if value else None


class QuerySerializer(VersionedSerializer):
    """A data-quality query (clinical-rules.md §11). ``fingerprint``: the values the rule
    found (a manual query has none). PATCH: ``answer`` (clinicians; the query becomes
    ``answered``) or ``status: closed`` with an optional ``close_reason`` (data managers:
    ``resolved``, the default, or ``confirmed``: the data are right, and the same values
    never raise the query again)."""

    patient = ScopedPatientField()
    record = RecordField(required=False)
    rule = serializers.ChoiceField(choices=RULE_CHOICES, read_only=True)
    status = serializers.ChoiceField(choices=STATUS_CHOICES, required=False)
    close_reason = CloseReasonField(choices=CLOSE_REASON_CHOICES, required=False,
                                    allow_null=True)
    raised_by = UserNameField(read_only=True, allow_null=True)
    answered_by = UserNameField(read_only=True, allow_null=True)
    closed_by = UserNameField(read_only=True, allow_null=True)
    center = serializers.IntegerField(source="patient.center_id", read_only=True)
    code = serializers.CharField(source="patient.code", read_only=True)

    class Meta:
        model = Query
        fields = ["id", "patient", "code", "center", "record", "rule", "message", "fingerprint",
                  "status", "answer", "close_reason", "raised_at", "raised_by", "answered_by",
                  "answered_at", "closed_by", "closed_at", "version"]
        read_only_fields = ["id", "fingerprint", "raised_at", "answered_at", "closed_at"]
