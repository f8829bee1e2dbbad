"""The API's outcome: the stored rules result plus ``patient``, ``computed_at``, ``stale``."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

import catalogues as cat
from treatments.models import Outcome
from treatments.rules.types import (
    BlockEvolutionState,
    BlockState,
    DisabilityResult,
    Grade,
    Measure,
    Status,
    TailoringResult,
)

# api.md "Outcome": fields that do not apply are null or empty, never missing.
EMPTY_RESULT: dict[str, Any] = {
    "rules_version": None,
    "thresholds_revision": None,
    "criteria": None,
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
    "conduction_blocks": {"criteria": None, "first_study": None, "latest_study": None,
                          "first_studied_on": None, "latest_studied_on": None,
                          "segments": []},
    "titres_significant": [],
    "titres_before_ivig": [],
    "series": [],
    "visits": [],
    "flags": [],
    "primary_measure": None,
    "primary_baseline": None,
    "measures": [],
    "next_series_due": None,
    "overdue": False,
    "overdue_from": None,
    "tailoring": [],
}


def outcome_payload(*, patient_id: int, outcome: Outcome | None) -> dict[str, Any]:
    if outcome is None:
        return stored_outcome_payload(patient_id=patient_id, result=None, computed_at=None,
                                      stale=True)
    return stored_outcome_payload(patient_id=patient_id, result=outcome.result,
                                  computed_at=outcome.computed_at, stale=outcome.stale)


def stored_outcome_payload(*, patient_id: int, result: dict[str, Any] | None,
                           computed_at: datetime | None, stale: bool) -> dict[str, Any]:
    """The answer from the stored columns themselves (the outcome endpoint reads them
    without an ``Outcome`` instance): ``stale`` as ``Outcome.stale`` says it."""
    result = dict(result or {})
    payload: dict[str, Any] = {
        "patient": patient_id,
        "computed_at": computed_at,
        "stale": stale,
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


# The documented shape of the stored result (``treatments.rules.outcome.Outcome.as_dict``);
# these serializers only describe it for the schema, they never write. Every enumerated
# value is a ``choice`` so that the schema gives its ``enum`` (api.md, 2026-12-01): the
# the judgements' StrEnums (catalogues, used by the rules) and the recorded codes' choices.



def codes_of(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


# The choice sets, by name: SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] names their schema
# components after these (a new field reusing one gets the same component).
OUTCOME_STATUSES = codes_of(Status)
RESPONSE_GRADES = codes_of(Grade)
BLOCK_STATES = codes_of(BlockState)
BLOCK_EVOLUTIONS = codes_of(BlockEvolutionState)
DISABILITY_RESULTS = codes_of(DisabilityResult)
TAILORING_RESULTS = codes_of(TailoringResult)
DISABILITY_MEASURES = ("prineas",)  # what the outcome compares (clinical-rules.md §3)
MEASURES = codes_of(Measure)  # clinical-rules.md §9


def one_of(choices: type[StrEnum] | cat.Choices | tuple[str, ...], *, null: bool = False,
           **kwargs: Any) -> serializers.ChoiceField:
    """A read-only enumerated field: a rules StrEnum, a catalogue or a tuple of codes."""
    if isinstance(choices, type) and issubclass(choices, StrEnum):
        choices = codes_of(choices)
    return serializers.ChoiceField(choices=choices, allow_null=null, **kwargs)


class OutcomeMuscle(serializers.Serializer):
    muscle = one_of(cat.MUSCLES)
    side = one_of(cat.SIDES)


class OutcomeWearOff(serializers.Serializer):
    after_series = serializers.IntegerField()
    before_series = serializers.IntegerField()
    # The primary measure's values (§9; a number: grip is a mean of two decimals).
    post_score = serializers.FloatField()
    pre_score = serializers.FloatField()
    drop = serializers.FloatField()
    post_visit = serializers.IntegerField(allow_null=True, help_text="id of the post visit")
    pre_visit = serializers.IntegerField(allow_null=True, help_text="id of the trough visit")


class OutcomeFinal(serializers.Serializer):
    grade = one_of(Grade, null=True)
    persistent = serializers.BooleanField(allow_null=True)
    # A declared field named like Field.label: DRF's metaclass moves it into the fields.
    label = serializers.CharField(allow_null=True)  # type: ignore[assignment]


class OutcomeDisability(serializers.Serializer):
    measure = one_of(DISABILITY_MEASURES, null=True)
    before = serializers.IntegerField(allow_null=True)
    after = serializers.IntegerField(allow_null=True)
    change = serializers.IntegerField(allow_null=True)
    result = one_of(DisabilityResult, null=True)


class OutcomeBlockSegment(serializers.Serializer):
    nerve = one_of(cat.NERVES)
    side = one_of(cat.SIDES)
    distal_site = serializers.CharField(allow_blank=True)
    proximal_site = serializers.CharField(allow_blank=True)
    first = one_of(BlockState, null=True, help_text="Null: not measured then.")
    latest = one_of(BlockState, null=True, help_text="Null: not measured then.")
    state = one_of(
        BlockEvolutionState, null=True,
        help_text="Null: cannot be told (a single study, or a value missing).",
    )


class OutcomeBlocks(serializers.Serializer):
    criteria = serializers.CharField(allow_null=True)
    first_study = serializers.IntegerField(allow_null=True)
    latest_study = serializers.IntegerField(allow_null=True)
    first_studied_on = serializers.DateField(allow_null=True)
    latest_studied_on = serializers.DateField(allow_null=True)
    segments = OutcomeBlockSegment(many=True)


class OutcomeTitre(serializers.Serializer):
    antigen = one_of(cat.ANTIGENS)
    isotype = one_of(cat.ISOTYPES)
    method = one_of(cat.TITRE_METHODS)
    value = serializers.FloatField(allow_null=True)
    unit = one_of(cat.TITRE_UNITS)
    sampled_on = serializers.DateField()


class OutcomeTitreBeforeIvig(OutcomeTitre):
    significant = serializers.BooleanField(allow_null=True)


class OutcomeSeries(serializers.Serializer):
    number = serializers.IntegerField()
    pre_score = serializers.FloatField(allow_null=True, help_text="the primary measure's")
    post_score = serializers.FloatField(allow_null=True, help_text="the primary measure's")
    grade = one_of(Grade, null=True)
    beneficial = serializers.BooleanField()
    interval_days = serializers.IntegerField(allow_null=True)
    interval_flag = serializers.BooleanField()
    route = one_of(cat.ROUTES)
    dose_intensity = serializers.FloatField(
        allow_null=True, help_text="g/kg per 4 weeks over the 12 weeks before the series (§10).")


class OutcomeScores(serializers.Serializer):
    """{measure code: value or null} for every §9 measure."""


for _measure in Measure:
    OutcomeScores._declared_fields[_measure.value] = serializers.FloatField(allow_null=True)


class OutcomeVisit(serializers.Serializer):
    id = serializers.IntegerField()
    visited_on = serializers.DateField()
    kind = one_of(cat.VISIT_KINDS)
    series = serializers.IntegerField(allow_null=True)
    score = serializers.IntegerField(allow_null=True, help_text="the MRC target sum (§2)")
    grade = one_of(Grade, null=True, help_text="the primary measure's grade vs its baseline")
    scores = OutcomeScores(help_text="every §9 measure's value at the visit (null: none)")
    primary_score = serializers.FloatField(allow_null=True)


class OutcomeMeasure(serializers.Serializer):
    """One §9 measure summarised (clinical-rules.md §9)."""

    measure = one_of(Measure)
    baseline = serializers.FloatField(allow_null=True)
    latest = serializers.FloatField(allow_null=True)
    change = serializers.FloatField(allow_null=True, help_text="latest − baseline")
    result = one_of((Grade.IMPROVED.value, Grade.STABLE.value, Grade.DETERIORATED.value),
                    null=True)
    mcid = serializers.FloatField()
    responder = serializers.BooleanField()


class OutcomeTailoring(serializers.Serializer):
    id = serializers.IntegerField()
    kind = one_of(cat.TAILORING_KINDS)
    started_on = serializers.DateField()
    result = one_of(TailoringResult)
    relapse_on = serializers.DateField(allow_null=True)
    window_ends_on = serializers.DateField(help_text="The last day of the episode's window.")


class OutcomeSerializer(serializers.Serializer):
    """The documented shape of ``patients/{id}/outcome/`` (schema only; api.md "Outcome")."""

    patient = serializers.IntegerField()
    rules_version = serializers.CharField(allow_null=True)
    thresholds_revision = serializers.IntegerField(
        allow_null=True, help_text="The titre-threshold revision the outcome was computed with.")
    criteria = serializers.CharField(
        allow_null=True, help_text="The block criteria set of ``conduction_blocks`` (the stored"
        " one's, or the one ``?criteria=`` named).")
    computed_at = serializers.DateTimeField(allow_null=True)
    stale = serializers.BooleanField()
    status = one_of(Status, null=True)
    baseline_score = serializers.IntegerField(allow_null=True)
    target_muscles = OutcomeMuscle(many=True)
    initial_response = one_of(Grade, null=True)
    beneficial_series = serializers.ListField(child=serializers.IntegerField())
    n_star = serializers.IntegerField(allow_null=True)
    plateau_after_series = serializers.IntegerField(allow_null=True)
    wear_off_intervals = OutcomeWearOff(many=True)
    infusion_dependent = serializers.BooleanField(allow_null=True)
    final = OutcomeFinal()
    disability = OutcomeDisability()
    conduction_blocks = OutcomeBlocks()
    titres_significant = OutcomeTitre(many=True)
    titres_before_ivig = OutcomeTitreBeforeIvig(many=True)
    series = OutcomeSeries(many=True)
    visits = OutcomeVisit(many=True)
    flags = serializers.ListField(child=serializers.CharField())
    primary_measure = one_of(Measure, null=True, help_text="the measure judged (§9)")
    primary_baseline = serializers.FloatField(
        allow_null=True, help_text="the primary measure's baseline value (``baseline_score``"
        " stays the MRC target sum)")
    measures = OutcomeMeasure(many=True)
    next_series_due = serializers.DateField(
        allow_null=True, help_text="Start of the last given series + its expected interval"
        " (§10); null when nothing is due.")
    overdue = serializers.BooleanField(
        help_text="Past the due date by more than the grace days on the day it was computed"
        " (recomputed when that day comes, §10).")
    overdue_from = serializers.DateField(allow_null=True,
                                         help_text="The first day the patient is overdue.")
    tailoring = OutcomeTailoring(many=True, help_text="Dose-tailoring episodes and their"
                                 " result (clinical-rules.md §10).")


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
    # A declared field named like Field.source: DRF's metaclass moves it into the fields.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=["page", "api", "admin", "command", "import"],
        help_text="Where the change was made: a page, the API, the admin, a command or an import.",
    )
    reason = serializers.CharField(
        allow_null=True,
        help_text="The audit row's reason, or null: a signing (``signed: reviewed and "
                  "confirmed``) or an unlocking (``unlocked``; the data manager's words are "
                  "the ``unlock_reason`` change), clinical-rules.md §11.")


class LotRecipientSerializer(serializers.Serializer):
    """One row of ``lots/{lot}/patients/`` (schema only)."""

    patient = serializers.IntegerField()
    code = serializers.CharField()
    series = serializers.IntegerField()
    series_id = serializers.IntegerField()
    started_on = serializers.DateField()
    lot = serializers.CharField()


class Table1Nerve(serializers.Serializer):
    side = one_of(cat.SIDES)
    nerve = one_of(cat.NERVES)


class Table1Row(serializers.Serializer):
    case = serializers.CharField()
    sex = one_of(cat.SEXES)
    age = serializers.IntegerField(allow_null=True, help_text="At the first series.")
    course_years = serializers.IntegerField(allow_null=True, help_text="Onset to first series.")
    affected_nerves = Table1Nerve(many=True)
    distribution = serializers.CharField(allow_blank=True)
    series_count = serializers.IntegerField()
    first_response = one_of(Grade, null=True)
    n_star = serializers.IntegerField(allow_null=True)
    final_grade = one_of(Grade, null=True)
    final_result = serializers.CharField(allow_null=True)
    gm1_titre_before_ivig = serializers.FloatField(allow_null=True)
    gm1_significant = serializers.BooleanField(allow_null=True)
    conduction_blocks_first = serializers.IntegerField(
        allow_null=True, help_text="Blocks at the first nerve study (clinical-rules.md §4).")
    conduction_blocks_latest = serializers.IntegerField(
        allow_null=True, help_text="Blocks at the latest nerve study.")


class Table1Counts(serializers.Serializer):
    cases = serializers.IntegerField()
    initial_dramatic = serializers.IntegerField()
    final_good = serializers.IntegerField()
    gm1_significant = serializers.IntegerField()


class Table1Serializer(serializers.Serializer):
    """``reports/table1/`` (clinical-rules.md §8; schema only)."""

    table = serializers.ChoiceField(choices=["table1"])
    criteria = serializers.CharField(
        allow_null=True, help_text="``?criteria=``'s set, or null: each outcome's own.")
    rows = Table1Row(many=True)
    counts = Table1Counts()
    summary = serializers.ListField(child=serializers.CharField())


class Table2Row(serializers.Serializer):
    case = serializers.CharField()
    group = serializers.ChoiceField(choices=["previously_treated", "not_treated", "stopped"])
    sex = one_of(cat.SEXES)
    age = serializers.IntegerField(allow_null=True, help_text="At the first series.")
    course_years = serializers.IntegerField(allow_null=True, help_text="Onset to first series.")
    prior_treatments = serializers.ListField(child=one_of(cat.PRIOR_TREATMENTS))
    prior_treatments_label = serializers.CharField(allow_blank=True)
    antibody_activity = serializers.ListField(
        child=one_of(cat.ANTIGENS), help_text="IgM antigens with a significant titre.")
    igm_serum_level_g_l = serializers.FloatField(allow_null=True)
    series_count = serializers.IntegerField()
    prineas_before = serializers.IntegerField(allow_null=True)
    prineas_after = serializers.IntegerField(allow_null=True)
    prineas_change = serializers.IntegerField(allow_null=True)
    result = one_of(DisabilityResult, null=True)


class Table2Group(serializers.Serializer):
    group = serializers.ChoiceField(choices=["previously_treated", "not_treated", "stopped"])
    name = serializers.CharField()
    rows = Table2Row(many=True)
    counts = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="``cases``, and per disability result (improved, stable, deteriorated).",
    )
    summary = serializers.CharField()


class Table2Serializer(serializers.Serializer):
    """``reports/table2/`` (clinical-rules.md §8; schema only)."""

    table = serializers.ChoiceField(choices=["table2"])
    groups = Table2Group(many=True)
    rows = Table2Row(many=True)
    summary = serializers.ListField(child=serializers.CharField())


class MeasuresReportRow(serializers.Serializer):
    diagnosis = one_of(cat.DIAGNOSES)
    measure = one_of(Measure)
    patients = serializers.IntegerField(help_text="with a baseline and a later value")
    responders = serializers.IntegerField()
    deteriorated = serializers.IntegerField()
    responders_label = serializers.CharField(help_text="x/n")
    deteriorated_label = serializers.CharField(help_text="y/n")


class MeasuresReportSerializer(serializers.Serializer):
    """``reports/measures/`` (clinical-rules.md §9; schema only)."""

    table = serializers.ChoiceField(choices=["measures"])
    rows = MeasuresReportRow(many=True)
    summary = serializers.ListField(child=serializers.CharField())


CRITERIA_PARAMETER = OpenApiParameter(
    "criteria", str, description="A block criteria set's code (``block-criteria/``): the"
    " conduction blocks judged under it for this answer; unknown: 400.")
