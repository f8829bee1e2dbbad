"""Cohort reports from live data (clinical-rules.md §8): the paper's Table 1 and Table 2.

The selectors here choose the cohort (the user's centres, ``?center=``, ``?diagnosis=``,
consent given) and read the keys of the stored outcomes they need;
``treatments.rules.reports`` shapes the rows and counts. A fixed number of queries
whatever the cohort size, and rows read as plain values, never as model instances.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import JSONObject

from patients.models import AffectedNerve, Paraprotein, Patient, PriorTreatment
from registry import jsoncodec
from registry.models import Center
from registry.scoping import scope_patients, scope_reportable_patients
from treatments.models import AdverseEvent, Series
from treatments.rules import BlockCriteria, SeriesIn, block_evolution
from treatments.rules.consumption import (
    consumption,
    course_rows,
    needed_days,
    series_grams,
    series_needed,
)
from treatments.rules.reports import (
    Table1Input,
    Table2Input,
    as_csv_rows,
    gm1_titre_before_ivig,
    measures_table,
    table1,
    table2,
)
from treatments.rules.visits import OrderedSeries
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


def _postgresql() -> bool:
    """Whether the reports read with PostgreSQL's own SQL (arrays, window functions, rows
    straight from the cursor); on the others (SQLite, ``make run``) the ORM's queries."""
    return connection.vendor == "postgresql"


def _cohort_rows(patients: QuerySet[Patient], outcome_keys: tuple[str, ...], **extra
                 ) -> list[tuple]:
    """The cohort in one query: per patient (pk, code, sex, birth_year, onset_year, the
    named keys of its stored outcome as one dict, then ``extra``'s columns), as plain
    tuples. The keys come from the outcome's ``summary`` (``Outcome.SUMMARY_KEYS``), never
    from whole results: each holds every visit of a history, and even extracting keys from
    them in the database made Table 1 over 10,000 patients take seconds (bench/README.md).
    Unsorted: the tables sort their rows by case (``rules.reports``); sorting 20,000 rows
    with their JSON here spilled to disk."""
    # One small JSON object per row (one json.loads, not one per key); of the keys named
    # in ``OUTCOME_PARTS`` only those parts (a key's other parts are never read).
    outcome = JSONObject(**{key: _outcome_key(key) for key in outcome_keys})
    cohort = patients.order_by().values_list("pk", "code", "sex", "birth_year", "onset_year",
                                             outcome, *extra.values())
    if not _postgresql():  # SQLite (``make run``): the ORM's conversions
        return list(cohort)
    # The ORM's query on the cursor: every column but the outcome's comes as the ORM
    # would give it, and its converters cost a quarter of reading 20,000 rows.
    sql, params = cohort.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(pk, code, sex, birth, onset, _json(keys), *more)
                for pk, code, sex, birth, onset, keys, *more in cursor.fetchall()]


def _cohort_ids_condition(ids: list[int], patients: QuerySet[Patient]) -> tuple[str, list]:
    """``patient_id`` of a cohort read before (``_cohort_rows``): on PostgreSQL its ids as
    one array parameter, so that the cohort's filter (the centres, consent given,
    diagnosis) is evaluated once a report, not once per query; elsewhere (SQLite, ``make
    run``: no arrays) the cohort's query as a subquery."""
    if _postgresql():
        # Written out as one array literal: psycopg adapting a list of 20,000 ints
        # element by element took longer than the query using it.
        return "patient_id = ANY(%s::bigint[])", ["{" + ",".join(map(str, ids)) + "}"]
    sql, params = patients.order_by().values("pk").query.sql_with_params()
    return f"patient_id IN ({sql})", list(params)


def _series_by_patient(ids: list[int], patients: QuerySet[Patient]
                       ) -> dict[int, tuple[date, int]]:
    """Each cohort patient's first series date and number of series (none: absent).
    Summed up in their own query: joined, they would repeat each patient's outcome once
    per series; as per-row subqueries they cost enough for PostgreSQL to JIT-compile the
    query, which alone took longer than the whole report."""
    condition, params = _cohort_ids_condition(ids, patients)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT patient_id, MIN(started_on), COUNT(*)"
                       f" FROM {Series._meta.db_table} WHERE {condition} GROUP BY patient_id",
                       params)
        return {patient: (_date(first), count) for patient, first, count in cursor.fetchall()}


def _date(value: date | str) -> date:
    """A date column as SQLite's cursor gives an aggregate of it: text."""
    return date.fromisoformat(value) if isinstance(value, str) else value


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


def _age_and_course(first: date | None, birth_year: int | None, onset_year: int | None
                    ) -> tuple[int | None, int | None]:
    if first is None:
        return None, None
    age = first.year - birth_year if birth_year else None
    course = first.year - onset_year if onset_year else None
    return age, course


def _outcome(keys: dict[str, Any] | None) -> dict[str, Any]:
    """The stored outcome's keys a report reads (none when never computed)."""
    return {key: value for key, value in (keys or {}).items() if value is not None}


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
    """Table 1 in three queries: the cohort with its outcome keys, then its affected
    nerves and its series by the cohort's ids.

    The conduction-block columns come from each stored outcome (its rule set's criteria);
    ``criteria`` (``?criteria=``) judges the cohort's nerve studies under another set for
    this answer only, in the recompute's fixed number of queries, nothing stored."""
    patients = report_cohort(user=user, table="table1", center=center, diagnosis=diagnosis,
                             every_diagnosis=every_diagnosis)
    cohort = _cohort_rows(patients, TABLE1_OUTCOME)
    ids = [row[0] for row in cohort]
    # Unordered: ``table1`` shows each patient's nerves sorted and unique (an ORDER BY
    # spilled to disk sorting every nerve of a 20,000-patient cohort).
    condition, params = _cohort_ids_condition(ids, patients)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT patient_id, side, nerve FROM {AffectedNerve._meta.db_table}"
                       f" WHERE {condition}", params)
        nerves = _by_patient(cursor.fetchall())
    series = _series_by_patient(ids, patients)
    judged = {}
    if criteria is not None:
        studies = patients_rules_input(ids)
        judged = {pk: block_evolution(p.studies, criteria=criteria)
                  for pk, p in studies.items()}
    rows = []
    for pk, code, sex, birth_year, onset_year, keys in cohort:
        first_series_on, series_count = series.get(pk, (None, 0))
        age, course = _age_and_course(first_series_on, birth_year, onset_year)
        result = _outcome(keys)
        titre, significant = gm1_titre_before_ivig(result)
        if criteria is not None:
            blocks = judged.get(pk)
            first, latest = (blocks.first_study, blocks.latest_study) if blocks else (None, None)
        else:
            stored = result.get("conduction_blocks") or {}
            first, latest = stored.get("first_study"), stored.get("latest_study")
        rows.append(Table1Input(
            patient=pk, case=code, sex=sex, age_at_first_series=age, course_years=course,
            affected_nerves=tuple(nerves.get(pk, ())), series_count=series_count,
            outcome=result, gm1_titre_before_ivig=titre, gm1_significant=significant,
            blocks_first=first, blocks_latest=latest,
        ))
    report = table1(rows)
    report["criteria"] = criteria.code if criteria is not None else None
    return report


def table2_report(*, user, center=None, diagnosis=None,
                  criteria: BlockCriteria | None = None) -> dict[str, Any]:
    """Table 2 in four queries: the cohort with its outcome keys and whether an adverse
    event stopped IVIg, then its prior treatments, IgM paraproteins and series by the
    cohort's ids. It shows no conduction block: ``criteria`` is taken (every report takes
    ``?criteria=``) and changes nothing."""
    patients = report_cohort(user=user, table="table2", center=center, diagnosis=diagnosis)
    stopped = AdverseEvent.objects.filter(series__patient=OuterRef("pk"), led_to_stop=True)
    cohort = _cohort_rows(patients, TABLE2_OUTCOME, stopped=Exists(stopped))
    ids = [row[0] for row in cohort]
    condition, params = _cohort_ids_condition(ids, patients)
    treatments = _by_patient(
        PriorTreatment.objects.extra(where=[condition], params=params)
        .order_by("patient_id", "started_on", "id").values_list("patient_id", "kind")
    )
    igm = _by_patient(
        Paraprotein.objects.extra(where=[condition], params=params)
        .filter(isotype="IgM", serum_level_g_l__isnull=False)
        .order_by("measured_on", "id").values_list("patient_id", "serum_level_g_l")
    )
    series = _series_by_patient(ids, patients)
    rows = []
    for pk, code, sex, birth_year, onset_year, keys, stopped_ in cohort:
        first_series_on, series_count = series.get(pk, (None, 0))
        age, course = _age_and_course(first_series_on, birth_year, onset_year)
        result = _outcome(keys)
        disability = result.get("disability") or {}
        levels = [level for level in igm.get(pk, ()) if level]
        rows.append(Table2Input(
            patient=pk, case=code, sex=sex, age_at_first_series=age, course_years=course,
            prior_treatments=tuple(treatments.get(pk, ())),
            antibody_activity=tuple(
                t["antigen"] for t in result.get("titres_significant", [])
                if t.get("isotype") == "IgM"
            ),
            igm_serum_level_g_l=levels[0] if levels else None,
            series_count=series_count,
            prineas_before=disability.get("before"), prineas_after=disability.get("after"),
            prineas_change=disability.get("change"), result=disability.get("result"),
            stopped_for_adverse_event=stopped_,
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
    return jsoncodec.loads(value) if isinstance(value, str | bytes) else value


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


# The consumption report's columns of a series, then its patient's diagnosis and centre.
_CONSUMPTION_COLUMNS = ("patient_id", "number", "started_on", "route", "expected_interval_days",
                        "dose_g_per_kg", "status", "product", "grams_given", "prescribed_grams")

# On PostgreSQL, of every series of the patients treated in the period, only those
# ``series_needed`` may keep: the first of each course, those started in ``needed_days``
# and those whose previous one (in number order) started in the period. A superset chosen
# by position and date only (``series_needed`` still chooses among them, and
# ``course_rows`` computes everything): at 100,000 patients a busy year's courses hold a
# third more series than the report reads, each a row decoded.
_CONSUMPTION_NEEDED = """
SELECT {columns}, patient.diagnosis, center.code
FROM (
    SELECT {columns},
           ROW_NUMBER() OVER course AS position, LAG(started_on) OVER course AS previous_on
    FROM {series} WHERE patient_id IN ({treated})
    WINDOW course AS (PARTITION BY patient_id ORDER BY number)
) AS series
JOIN {patient} AS patient ON patient.id = series.patient_id
JOIN {center} AS center ON center.id = patient.center_id
WHERE series.position = 1 OR series.started_on BETWEEN %s AND %s
   OR series.previous_on BETWEEN %s AND %s
"""


def _consumption_series(patients: QuerySet[Patient], *, start: date, end: date
                        ) -> dict[int, list[tuple]]:
    """Each treated patient's series the report may read, in number order, as plain
    tuples (``_CONSUMPTION_COLUMNS``, diagnosis, centre code): one query."""
    treated = Series.objects.filter(patient__in=patients, started_on__gte=start,
                                    started_on__lte=end).values("patient_id")
    if _postgresql():
        treated_sql, params = treated.query.sql_with_params()
        earliest, latest = needed_days(start=start, end=end)
        with connection.cursor() as cursor:
            cursor.execute(_CONSUMPTION_NEEDED.format(
                columns=", ".join(_CONSUMPTION_COLUMNS), series=Series._meta.db_table,
                treated=treated_sql, patient=Patient._meta.db_table,
                center=Center._meta.db_table,
            ), (*params, earliest, latest, start, end))
            rows = cursor.fetchall()
    else:  # SQLite (``make run``): every series of the treated patients, the ORM's types
        rows = list(Series.objects.filter(patient_id__in=treated).values_list(
            *_CONSUMPTION_COLUMNS, "patient__diagnosis", "patient__center__code"))
    # Sorted here, not by the database: the rows' first two columns (patient, number) are
    # unique, so tuples compare on them alone.
    rows.sort()
    courses: dict[int, list[tuple]] = {}
    for row in rows:
        course = courses.get(row[0])
        if course is None:
            courses[row[0]] = [row]
        else:
            course.append(row)
    return courses


def consumption_report(
    *, user, start: date, end: date, center: str | int | None = None,
    diagnosis: str | None = None,
) -> dict[str, Any]:
    """Immunoglobulin consumption of the series started in [start, end] (clinical-rules.md
    §10): the user's centres, every patient (an aggregate: no consent filter), in one query
    whatever the period — the series of the patients treated in it ``series_needed``
    reads, since the next series and the 12 weeks before each count too."""
    patients = scope_patients(Patient.objects.all(), user)
    if center:
        center = str(center)
        is_id = center.isascii() and center.isdigit() and len(center) <= 18
        patients = patients.filter(
            Q(center__code=center) | Q(center_id=int(center)) if is_id
            else Q(center__code=center))
    if diagnosis:
        patients = patients.filter(diagnosis=diagnosis)
    rows = []
    for patient, course_items in _consumption_series(patients, start=start, end=end).items():
        items = [course_items[i] for i in series_needed(
            [item[2] for item in course_items], start=start, end=end)]
        diagnosis_, centre = items[0][-2:]
        # What ``course_rows`` asks of the series of the period (it describes no other).
        described = {
            number: (patient, diagnosis_, centre, product,
                     series_grams(grams_given=given, prescribed_grams=prescribed))
            for _, number, on, _, _, _, _, product, given, prescribed, _, _ in items
            if start <= on <= end
        }
        course = OrderedSeries(
            SeriesIn(number=number, started_on=on, days=1, route=route,
                     expected_interval_days=interval, dose_g_per_kg=dose, status=status)
            for _, number, on, route, interval, dose, status, *_ in items)
        rows += course_rows(course, start=start, end=end, describe=partial(_described,
                                                                            described))
    return {"table": "consumption", "from": start.isoformat(), "to": end.isoformat(),
            "center": str(center) if center else None, "diagnosis": diagnosis or None,
            **consumption(rows)}


def _described(described: dict[int, tuple[int, str, str, str, Decimal]],
               series: SeriesIn) -> tuple[int, str, str, str, Decimal]:
    return described[series.number]
