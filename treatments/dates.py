"""Dates that agree with the kind (clinical-rules.md §1), as the services and the
``date_problems`` command use them: rows read into ``treatments.rules.dates``' plain
dataclasses, the pure rule asked, its answer raised as a ValidationError naming the field
(``visited_on`` for a visit, ``started_on`` for a series that would break a visit).

Every writer (API, pages, admin, import) reaches these through the services.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date

from django.core.exceptions import ValidationError

from patients.models import Visit
from treatments.models import Series
from treatments.rules.dates import (
    DateProblem,
    SeriesDates,
    VisitDates,
    date_problems,
    visit_date_problem,
)

CHECKED_KINDS = ("baseline", "pre_series", "post_series", "final")


def series_dates(*, patient_id: int) -> list[SeriesDates]:
    return [SeriesDates(number=number, started_on=started_on, expected_interval_days=interval)
            for number, started_on, interval in
            Series.objects.filter(patient_id=patient_id).order_by("number")
            .values_list("number", "started_on", "expected_interval_days")]


def visit_dates(*, patient_id: int) -> list[VisitDates]:
    return [
        VisitDates(id=pk, kind=kind, visited_on=visited_on, series_number=number)
        for pk, kind, visited_on, number in Visit.objects.filter(patient_id=patient_id)
        .order_by("visited_on", "id").values_list("pk", "kind", "visited_on", "series__number")
    ]


def visit_date_check(
    *, patient_id: int, kind: str | None, visited_on: date | None, series: Series | None
) -> None:
    """Refuse a visit whose date disagrees with its kind (400 naming ``visited_on``).

    A missing or invalid date or kind is left to the model's own validation."""
    if kind not in CHECKED_KINDS or not isinstance(visited_on, date):
        return
    visit_date_check_among(series_dates(patient_id=patient_id), kind=kind,
                           visited_on=visited_on,
                           series_number=series.number if series is not None else None)


def visit_date_check_among(series: Sequence[SeriesDates], *, kind: str | None,
                           visited_on: date | None, series_number: int | None) -> None:
    """``visit_date_check`` against the patient's series as given (an import's bulk path
    holds them in memory, not written yet)."""
    if kind not in CHECKED_KINDS or not isinstance(visited_on, date):
        return
    visit = VisitDates(id=None, kind=kind, visited_on=visited_on, series_number=series_number)
    problem = visit_date_problem(visit, list(series))
    if problem is not None:
        raise ValidationError({"visited_on": problem})


def series_change_check(*, patient_id: int, number: int, started_on: date) -> None:
    """Refuse a series start (new or moved) that would put an existing visit's date at
    odds with its kind (400 naming ``started_on``)."""
    if not isinstance(started_on, date):
        return
    current = series_dates(patient_id=patient_id)
    series = [s for s in current if s.number != number]
    interval = next((s.expected_interval_days for s in current if s.number == number), None)
    series.append(SeriesDates(number=number, started_on=started_on,
                              expected_interval_days=interval))
    visits = [v for v in visit_dates(patient_id=patient_id) if v.kind in CHECKED_KINDS]
    if not visits:
        return
    before = {p.visit.id for p in date_problems(visits, current)}
    # Only the visits this change would break: one already at odds is listed by
    # ``manage.py date_problems`` and must not block every later correction of a series.
    broken = [p for p in date_problems(visits, series) if p.visit.id not in before]
    if broken:
        raise ValidationError({"started_on": [
            f"Series {number} starting on {started_on.isoformat()} would put the "
            f"{p.visit.kind} visit of {p.visit.visited_on.isoformat()} at odds with its kind: "
            f"{p.message}"
            for p in broken
        ]})


def registry_date_problems(
    *, patient_ids: Iterable[int] | None = None
) -> Iterator[tuple[int, str, DateProblem]]:
    """(patient id, patient code, problem) for every stored visit whose date disagrees
    with its kind: two queries, whatever the registry's size."""
    visits = Visit.objects.filter(kind__in=CHECKED_KINDS)
    series = Series.objects.all()
    if patient_ids is not None:
        ids = list(patient_ids)
        visits, series = visits.filter(patient_id__in=ids), series.filter(patient_id__in=ids)
    by_patient: dict[int, list[SeriesDates]] = {}
    for patient_id, number, started_on, interval in series.order_by().values_list(
            "patient_id", "number", "started_on", "expected_interval_days"):
        by_patient.setdefault(patient_id, []).append(
            SeriesDates(number=number, started_on=started_on, expected_interval_days=interval))
    grouped: dict[int, tuple[str, list[VisitDates]]] = {}
    for patient_id, code, pk, kind, visited_on, number in visits.order_by(
            "patient__code", "visited_on", "id").values_list(
            "patient_id", "patient__code", "pk", "kind", "visited_on", "series__number"):
        grouped.setdefault(patient_id, (code, []))[1].append(
            VisitDates(id=pk, kind=kind, visited_on=visited_on, series_number=number))
    for patient_id, (code, patient_visits) in grouped.items():
        for problem in date_problems(patient_visits, by_patient.get(patient_id, ())):
            yield patient_id, code, problem

