"""Cohort reports from live data (clinical-rules.md §8): the paper's Table 1 and Table 2.

The selectors here choose the cohort (the user's centres, ``?center=``, ``?diagnosis=``,
consent not withdrawn) and read stored outcomes; ``treatments.rules.reports`` shapes the
rows and counts. A fixed number of queries whatever the cohort size.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, Min, OuterRef, Prefetch, Q, QuerySet

from patients.models import Paraprotein, Patient
from registry.scoping import scope_patients
from treatments.models import AdverseEvent
from treatments.rules.reports import (
    Table1Input,
    Table2Input,
    as_csv_rows,
    gm1_titre_before_ivig,
    table1,
    table2,
)

TABLE_DIAGNOSIS = {"table1": "mmn", "table2": "igm_mgus_pn"}


def report_cohort(
    *, user, table: str, center: str | int | None = None, diagnosis: str | None = None,
    every_diagnosis: bool = False,
) -> QuerySet[Patient]:
    """Patients of a report: the user's centres, consent not withdrawn, filtered.
    ``every_diagnosis`` drops the table's diagnosis (bench/ times a report over everyone)."""
    patients = scope_patients(Patient.objects.all(), user).filter(
        Q(consent__isnull=True) | Q(consent__withdrawn_on__isnull=True)
    )
    if center:
        center = str(center)
        patients = patients.filter(
            Q(center__code=center) | Q(center_id=int(center)) if center.isdigit()
            else Q(center__code=center)
        )
    if not every_diagnosis:
        patients = patients.filter(diagnosis=diagnosis or TABLE_DIAGNOSIS[table])
    return (
        patients.select_related("outcome")
        .annotate(first_series_on=Min("series__started_on"))
        .order_by("code")
    )


def _age_and_course(patient: Patient) -> tuple[int | None, int | None]:
    first = patient.first_series_on
    if first is None:
        return None, None
    age = first.year - patient.birth_year if patient.birth_year else None
    course = first.year - patient.onset_year if patient.onset_year else None
    return age, course


def _result(patient: Patient) -> dict[str, Any]:
    outcome = getattr(patient, "outcome", None)
    return outcome.result if outcome is not None else {}


def table1_report(*, user, center=None, diagnosis=None, every_diagnosis=False) -> dict[str, Any]:
    patients = report_cohort(user=user, table="table1", center=center, diagnosis=diagnosis,
                             every_diagnosis=every_diagnosis)
    patients = patients.prefetch_related("affected_nerves", "series")
    rows = []
    for patient in patients:
        age, course = _age_and_course(patient)
        result = _result(patient)
        titre, significant = gm1_titre_before_ivig(result)
        rows.append(Table1Input(
            case=patient.code, sex=patient.sex, age_at_first_series=age, course_years=course,
            affected_nerves=tuple((n.side, n.nerve) for n in patient.affected_nerves.all()),
            series_count=len(patient.series.all()), outcome=result,
            gm1_titre_before_ivig=titre, gm1_significant=significant,
        ))
    return table1(rows)


def table2_report(*, user, center=None, diagnosis=None) -> dict[str, Any]:
    patients = report_cohort(user=user, table="table2", center=center, diagnosis=diagnosis)
    stopped = AdverseEvent.objects.filter(series__patient=OuterRef("pk"), led_to_stop=True)
    patients = patients.annotate(stopped=Exists(stopped)).prefetch_related(
        "prior_treatments", "series",
        Prefetch("paraproteins", queryset=Paraprotein.objects.filter(isotype="IgM")
                 .order_by("measured_on", "id")),
    )
    rows = []
    for patient in patients:
        age, course = _age_and_course(patient)
        result = _result(patient)
        disability = result.get("disability") or {}
        igm = [p.serum_level_g_l for p in patient.paraproteins.all() if p.serum_level_g_l]
        rows.append(Table2Input(
            case=patient.code, sex=patient.sex, age_at_first_series=age, course_years=course,
            prior_treatments=tuple(t.kind for t in patient.prior_treatments.all()),
            antibody_activity=tuple(
                t["antigen"] for t in result.get("titres_significant", [])
                if t.get("isotype") == "IgM"
            ),
            igm_serum_level_g_l=igm[0] if igm else None,
            series_count=len(patient.series.all()),
            prineas_before=disability.get("before"), prineas_after=disability.get("after"),
            stopped_for_adverse_event=patient.stopped,
        ))
    return table2(rows)


def report_csv_rows(report: dict[str, Any]) -> list[list[str]]:
    return as_csv_rows(report)
