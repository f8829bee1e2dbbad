"""The API's outcome: the stored rules result plus ``patient``, ``computed_at``, ``stale``."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from treatments.models import Outcome

# api.md "Outcome": fields that do not apply are null or empty, never missing.
EMPTY_RESULT: dict[str, Any] = {
    "rules_version": None,
    "status": None,
    "baseline_score": None,
    "target_muscles": [],
    "initial_response": None,
    "beneficial_series": [],
    "n_star": None,
    "plateau_after_series": None,
    "wear_off_intervals": [],
    "infusion_dependent": None,
    "final": {"grade": None, "persistent": None, "label": None},
    "disability": {"measure": None, "before": None, "after": None, "change": None,
                   "result": None},
    "conduction_blocks": {"first_study": None, "latest_study": None, "segments": []},
    "titres_significant": [],
    "series": [],
    "flags": [],
}


def outcome_payload(*, patient_id: int, outcome: Outcome | None) -> dict[str, Any]:
    result = dict(outcome.result or {}) if outcome is not None else {}
    payload: dict[str, Any] = {
        "patient": patient_id,
        "computed_at": outcome.computed_at if outcome is not None else None,
        "stale": outcome.stale if outcome is not None else True,
    }
    for key, empty in EMPTY_RESULT.items():
        value = result.pop(key, None)
        if isinstance(empty, dict):
            value = {**empty, **(value or {})}
        elif value is None:
            value = empty
        payload[key] = value
    payload.update(result)  # fields the rules gained since api.md was written
    return payload


class _Muscle(serializers.Serializer):
    muscle = serializers.CharField()
    side = serializers.CharField()


class _Final(serializers.Serializer):
    grade = serializers.CharField(allow_null=True)
    persistent = serializers.BooleanField(allow_null=True)
    label = serializers.CharField(allow_null=True)


class _Disability(serializers.Serializer):
    measure = serializers.CharField(allow_null=True)
    before = serializers.IntegerField(allow_null=True)
    after = serializers.IntegerField(allow_null=True)
    change = serializers.IntegerField(allow_null=True)
    result = serializers.CharField(allow_null=True)


class _BlockSegment(serializers.Serializer):
    nerve = serializers.CharField()
    side = serializers.CharField()
    state = serializers.CharField()


class _Blocks(serializers.Serializer):
    first_study = serializers.IntegerField(allow_null=True)
    latest_study = serializers.IntegerField(allow_null=True)
    segments = _BlockSegment(many=True)


class _Titre(serializers.Serializer):
    antigen = serializers.CharField()
    isotype = serializers.CharField()
    value = serializers.FloatField()
    unit = serializers.CharField()


class _SeriesResult(serializers.Serializer):
    number = serializers.IntegerField()
    pre_score = serializers.IntegerField(allow_null=True)
    post_score = serializers.IntegerField(allow_null=True)
    grade = serializers.CharField(allow_null=True)
    beneficial = serializers.BooleanField()


class OutcomeSerializer(serializers.Serializer):
    """The documented shape of ``patients/{id}/outcome/`` (schema only; api.md "Outcome")."""

    patient = serializers.IntegerField()
    rules_version = serializers.CharField(allow_null=True)
    computed_at = serializers.DateTimeField(allow_null=True)
    stale = serializers.BooleanField()
    status = serializers.CharField(allow_null=True)
    baseline_score = serializers.IntegerField(allow_null=True)
    target_muscles = _Muscle(many=True)
    initial_response = serializers.CharField(allow_null=True)
    beneficial_series = serializers.ListField(child=serializers.IntegerField())
    n_star = serializers.IntegerField(allow_null=True)
    plateau_after_series = serializers.IntegerField(allow_null=True)
    wear_off_intervals = serializers.ListField(child=serializers.DictField())
    infusion_dependent = serializers.BooleanField(allow_null=True)
    final = _Final()
    disability = _Disability()
    conduction_blocks = _Blocks()
    titres_significant = _Titre(many=True)
    series = _SeriesResult(many=True)
    flags = serializers.ListField(child=serializers.CharField())


class HistoryEntrySerializer(serializers.Serializer):
    """One audit entry of ``patients/{id}/history/`` (schema only)."""

    at = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True)
    action = serializers.ChoiceField(choices=["created", "updated", "deleted"])
    model = serializers.CharField()
    object_id = serializers.IntegerField()
    changes = serializers.DictField(
        child=serializers.ListField(), help_text="field → [before, after]"
    )
    source = serializers.ChoiceField(
        choices=["page", "api", "admin", "command", "import"],
        help_text="Where the change was made: a page, the API, the admin, a command or an import.",
    )


class LotRecipientSerializer(serializers.Serializer):
    """One row of ``lots/{lot}/patients/`` (schema only)."""

    patient = serializers.IntegerField()
    code = serializers.CharField()
    series = serializers.IntegerField()
    series_id = serializers.IntegerField()
    started_on = serializers.DateField()
    lot = serializers.CharField()
