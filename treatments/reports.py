"""Cohort reports from live data (clinical-rules.md §8): the paper's Table 1 and Table 2.

The selectors here choose the cohort (the user's centres, ``?center=``, ``?diagnosis=``,
consent given) and read the keys of the stored outcomes they need;
``treatments.rules.reports`` shapes the rows and counts. A fixed number of queries
whatever the cohort size, and rows read as plain values, never as model instances.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any, cast

from django.db import connection
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import JSONObject

from patients.models import AffectedNerve, Paraprotein, Patient, PriorTreatment
from registry.scoping import scope_patients, scope_reportable_patients
from treatments.models import AdverseEvent, Series
from treatments.rules import BlockCriteria, SeriesIn, block_evolution
from treatments.rules.consumption import consumption, course_rows, series_grams, series_needed
from treatments.rules.reports import (
    Table1Input,
    Table2Input,
    as_csv_rows,
    gm1_titre_before_ivig,
    measures_table,
    table1,
    table2,
)
from treatments.selectors import patients_rules_input

TABLE_DIAGNOSIS = {"table1": "mmn", "table2": "igm_mgus_pn"}


def report_cohort(
    *, user, table: str, center: str | int | None = None, diagnosis: str | None = None,
    every_diagnosis: bool = False,
) -> QuerySet[Patient]:
    """Patients of a report: the user's centres, consent given, filtered.
    ``every_diagnosis`` drops the table's diagnosis (bench/ times a report over everyone)."""
    patients = scope_reportable_patients(Patient.objects.all(), user)
    if center:
        center = str(center)
        is_id = center.isascii() and center.isdigit() and len(center) <= 18  # fits a bigint
        patients = patients.filter(
            Q(center__code=center) | Q(center_id=int(center)) if is_id
            else Q(center__code=center)
        )
    if not every_diagnosis:
        patients = patients.filter(diagnosis=diagnosis or TABLE_DIAGNOSIS[table])
    return patients.order_by("code")


def _cohort_rows(patients: QuerySet[Patient], outcome_keys: tuple[str, ...], **extra):
    """One dict per patient: its own columns and the named keys of its stored outcome,
    with its first series date and number of series. The keys come from the outcome's
    ``summary`` (``Outcome.SUMMARY_KEYS``), never from whole results: each holds every
    visit of a history, and even extracting keys from them in the database made Table 1
    over 10,000 patients take seconds (bench/README.md)."""
    # One small JSON object per row (one json.loads, not one per key); of the keys named
    # in ``OUTCOME_PARTS`` only those parts (a key's other parts are never read).
    outcome = JSONObject(**{key: _outcome_key(key) for key in outcome_keys})
    # Series are summed up in their own query: joined, they would repeat each patient's
    # outcome once per series; as per-row subqueries they cost enough for PostgreSQL to
    # JIT-compile the query, which alone took longer than the whole report.
    series = {
        row["patient"]: row for row in
        Series.objects.filter(patient__in=patients.values("pk")).order_by()
        .values("patient").annotate(first_series_on=Min("started_on"), series_count=Count("*"))
    }
    # Unsorted: the tables sort their rows by case (``rules.reports``); sorting 20,000
    # rows with their JSON here spilled to disk.
    rows = patients.order_by().values("pk", "code", "sex", "birth_year", "onset_year",
                                      outcome_keys=outcome, **extra)
    # Plain dicts, completed below with the series' columns (the stubs see a closed TypedDict).
    for row in cast("Iterable[dict[str, Any]]", rows):
        counted = series.get(row["pk"])
        row["first_series_on"] = counted["first_series_on"] if counted else None
        row["series_count"] = counted["series_count"] if counted else 0
        yield row


# Outcome keys of which a report reads only some parts: Table 1 reads a conduction-block
# summary's two study counts, never its segments (most of the JSON decoded per row), and
# a final result's grade and label.
OUTCOME_PARTS = {
    "conduction_blocks": ("first_study", "latest_study"),
    "final": ("grade", "label"),
}


def _outcome_key(key: str):
    summary = KeyTransform(key, "outcome__summary")
    parts = OUTCOME_PARTS.get(key)
    if parts is None:
        return summary
    # An object of the parts, each null when missing (as ``.get`` reads it), also when the
    # key itself is missing: a report reads these keys only part by part.
    return JSONObject(**{part: KeyTransform(part, summary) for part in parts})


def _age_and_course(row: dict[str, Any]) -> tuple[int | None, int | None]:
    first = row["first_series_on"]
    if first is None:
        return None, None
    age = first.year - row["birth_year"] if row["birth_year"] else None
    course = first.year - row["onset_year"] if row["onset_year"] else None
    return age, course


def _outcome(row: dict[str, Any]) -> dict[str, Any]:
    """The stored outcome's keys a report reads (none when never computed)."""
    return {key: value for key, value in (row["outcome_keys"] or {}).items() if value is not None}


def _by_patient(rows) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for patient_id, *values in rows:
        grouped.setdefault(patient_id, []).append(values[0] if len(values) == 1
                                                  else tuple(values))
    return grouped


# The outcome keys each table reads; ``Outcome.SUMMARY_KEYS`` holds them all (a test
# checks it does).
TABLE1_OUTCOME = ("initial_response", "n_star", "final", "titres_before_ivig",
                  "conduction_blocks")
TABLE2_OUTCOME = ("disability", "titres_significant")


def table1_report(*, user, center=None, diagnosis=None, every_diagnosis=False,
                  criteria: BlockCriteria | None = None) -> dict[str, Any]:
    """Table 1 in three queries: affected nerves, series, the cohort with its outcome keys.

    The conduction-block columns come from each stored outcome (its rule set's criteria);
    ``criteria`` (``?criteria=``) judges the cohort's nerve studies under another set for
    this answer only, in the recompute's fixed number of queries, nothing stored."""
    patients = report_cohort(user=user, table="table1", center=center, diagnosis=diagnosis,
                             every_diagnosis=every_diagnosis)
    # Unordered: ``table1`` shows each patient's nerves sorted and unique (an ORDER BY
    # spilled to disk sorting every nerve of a 20,000-patient cohort).
    nerves = _by_patient(
        AffectedNerve.objects.filter(patient__in=patients.values("pk")).order_by()
        .values_list("patient_id", "side", "nerve")
    )
    cohort = list(_cohort_rows(patients, TABLE1_OUTCOME))
    judged = {}
    if criteria is not None:
        studies = patients_rules_input([row["pk"] for row in cohort])
        judged = {pk: block_evolution(p.studies, criteria=criteria)
                  for pk, p in studies.items()}
    rows = []
    for row in cohort:
        age, course = _age_and_course(row)
        result = _outcome(row)
        titre, significant = gm1_titre_before_ivig(result)
        if criteria is not None:
            blocks = judged.get(row["pk"])
            first, latest = (blocks.first_study, blocks.latest_study) if blocks else (None, None)
        else:
            stored = result.get("conduction_blocks") or {}
            first, latest = stored.get("first_study"), stored.get("latest_study")
        rows.append(Table1Input(
            patient=row["pk"], case=row["code"], sex=row["sex"],
            age_at_first_series=age, course_years=course,
            affected_nerves=tuple(nerves.get(row["pk"], ())),
            series_count=row["series_count"], outcome=result,
            gm1_titre_before_ivig=titre, gm1_significant=significant,
            blocks_first=first, blocks_latest=latest,
        ))
    report = table1(rows)
    report["criteria"] = criteria.code if criteria is not None else None
    return report


def table2_report(*, user, center=None, diagnosis=None,
                  criteria: BlockCriteria | None = None) -> dict[str, Any]:
    """Table 2 in four queries: prior treatments, IgM paraproteins, series, and the cohort
    with its outcome keys and whether an adverse event stopped IVIg. It shows no
    conduction block: ``criteria`` is taken (every report takes ``?criteria=``) and
    changes nothing."""
    patients = report_cohort(user=user, table="table2", center=center, diagnosis=diagnosis)
    stopped = AdverseEvent.objects.filter(series__patient=OuterRef("pk"), led_to_stop=True)
    cohort = patients.values("pk")
    treatments = _by_patient(
        PriorTreatment.objects.filter(patient__in=cohort).order_by("patient_id", "started_on",
                                                                    "id")
        .values_list("patient_id", "kind")
    )
    igm = _by_patient(
        Paraprotein.objects.filter(patient__in=cohort, isotype="IgM",
                                   serum_level_g_l__isnull=False)
        .order_by("measured_on", "id").values_list("patient_id", "serum_level_g_l")
    )
    rows = []
    for row in _cohort_rows(patients, TABLE2_OUTCOME, stopped=Exists(stopped)):
        age, course = _age_and_course(row)
        result = _outcome(row)
        disability = result.get("disability") or {}
        levels = [level for level in igm.get(row["pk"], ()) if level]
        rows.append(Table2Input(
            patient=row["pk"], case=row["code"], sex=row["sex"],
            age_at_first_series=age, course_years=course,
            prior_treatments=tuple(treatments.get(row["pk"], ())),
            antibody_activity=tuple(
                t["antigen"] for t in result.get("titres_significant", [])
                if t.get("isotype") == "IgM"
            ),
            igm_serum_level_g_l=levels[0] if levels else None,
            series_count=row["series_count"],
            prineas_before=disability.get("before"), prineas_after=disability.get("after"),
            prineas_change=disability.get("change"), result=disability.get("result"),
            stopped_for_adverse_event=row["stopped"],
        ))
    return table2(rows)


def measures_report(*, user, center=None, diagnosis=None,
                    criteria: BlockCriteria | None = None) -> dict[str, Any]:
    """The measures report (clinical-rules.md §9) in one query: every diagnosis, or the
    one asked, research consent as every research report (§8); read from each stored
    outcome's ``measures`` (in its summary). ``criteria`` is taken and changes nothing."""
    patients = report_cohort(user=user, table="measures", center=center, diagnosis=diagnosis,
                             every_diagnosis=not diagnosis)
    if connection.vendor != "postgresql":  # the embedded SQLite of `make run`: whole lists
        stored = patients.values_list("diagnosis", KeyTransform("measures", "outcome__summary"))
        return measures_table([(d, measures or []) for d, measures in stored])
    rows: list[tuple[str, list[dict[str, Any]]]] = []
    for diagnosis_, item, count in _measure_items_counted(patients):
        rows += [(diagnosis_, [item])] * count
    return measures_table(rows)


# ``measures_table`` counts item by item (a patient's items never depend on each other),
# so the cohort's items are read cut down to what it reads of one — its measure, whether
# it has a change (null: none, else 0), ``responder`` and ``result`` — and the identical
# ones counted in the database: a few dozen rows to decode instead of one JSON list per
# patient (100,000 at national scale); the rule gets each as a one-item list, as often as
# it occurs, and counts what it counted before.
_MEASURE_ITEMS_COUNTED = """
SELECT cohort.diagnosis, item -> 'measure',
       CASE WHEN jsonb_typeof(item -> 'change') IS NULL
              OR jsonb_typeof(item -> 'change') = 'null' THEN NULL ELSE 0 END,
       item -> 'responder', item -> 'result', COUNT(*)
FROM ({cohort}) AS cohort (diagnosis, measures)
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(cohort.measures) = 'array' THEN cohort.measures END) AS item
GROUP BY 1, 2, 3, 4, 5
"""


def _json(value):
    return json.loads(value) if isinstance(value, str | bytes) else value


def _measure_items_counted(patients: QuerySet[Patient]
                           ) -> list[tuple[str, dict[str, Any], int]]:
    cohort = patients.order_by().values_list("diagnosis",
                                             KeyTransform("measures", "outcome__summary"))
    sql, params = cohort.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_MEASURE_ITEMS_COUNTED.format(cohort=sql), params)
        return [(diagnosis, {"measure": _json(measure), "change": change,
                             "responder": _json(responder), "result": _json(result)}, count)
                for diagnosis, measure, change, responder, result, count in cursor.fetchall()]


def report_csv_rows(report: dict[str, Any]) -> list[list[str]]:
    return as_csv_rows(report)


def _described(described: dict[int, tuple[int, str, str, str, Decimal]],
               series: SeriesIn) -> tuple[int, str, str, str, Decimal]:
    return described[series.number]


def consumption_report(
    *, user, start: date, end: date, center: str | int | None = None,
    diagnosis: str | None = None,
) -> dict[str, Any]:
    """Immunoglobulin consumption of the series started in [start, end] (clinical-rules.md
    §10): the user's centres, every patient (an aggregate: no consent filter), in one query
    whatever the period — every series of the patients treated in it, since the next
    series and the 12 weeks before each count too."""
    patients = scope_patients(Patient.objects.all(), user)
    if center:
        center = str(center)
        is_id = center.isascii() and center.isdigit() and len(center) <= 18
        patients = patients.filter(
            Q(center__code=center) | Q(center_id=int(center)) if is_id
            else Q(center__code=center))
    if diagnosis:
        patients = patients.filter(diagnosis=diagnosis)
    treated = Series.objects.filter(patient__in=patients, started_on__gte=start,
                                    started_on__lte=end).values("patient_id")
    courses: dict[int, list[tuple]] = {}
    for row in (
        Series.objects.filter(patient_id__in=treated).order_by("patient_id", "number")
        .values_list("patient_id", "number", "started_on", "route", "expected_interval_days",
                     "dose_g_per_kg", "status", "product", "grams_given", "prescribed_grams",
                     "patient__diagnosis", "patient__center__code")
    ):
        courses.setdefault(row[0], []).append(row)
    rows = []
    for course_items in courses.values():
        items = [course_items[i] for i in series_needed(
            [item[2] for item in course_items], start=start, end=end)]
        described = {number: (patient, diagnosis_, centre, product,
                              series_grams(grams_given=given, prescribed_grams=prescribed))
                     for (patient, number, _, _, _, _, _, product, given, prescribed,
                          diagnosis_, centre) in items}
        course = tuple(
            SeriesIn(number=number, started_on=on, days=1, route=route,
                     expected_interval_days=interval, dose_g_per_kg=dose, status=status)
            for _, number, on, route, interval, dose, status, *_ in items)
        rows += course_rows(course, start=start, end=end, describe=partial(_described,
                                                                            described))
    return {"table": "consumption", "from": start.isoformat(), "to": end.isoformat(),
            "center": str(center) if center else None, "diagnosis": diagnosis or None,
            **consumption(rows)}
