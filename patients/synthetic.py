"""A synthetic registry for benchmarks: realistic volumes, reproducible from a seed.

Rows are written with PostgreSQL ``COPY`` (ids drawn from each table's own sequence), so
10,000 patients with up to 24 series load in a minute or two. Nothing here goes through
the services, so every value is chosen to be one the services would accept: ranges and
catalogue codes, series numbered 1..n in date order 21–42 days apart, pre/post visits
linked to their own series and dated between it and the next one. Every patient gets an
outcome row marked stale (``data_version`` 1, never computed), as ``patient_create``
leaves it; ``manage.py recompute --all`` or the sweep computes them. Audit history is not
written (bulk loads are not clinical edits).

Each patient is drawn from its own ``random.Random((seed, index))``, so the data of a
patient depends only on the seed and its index, not on the batch size.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

import catalogues as cat
from patients.models import (
    AffectedNerve,
    Consent,
    Identity,
    MrcGrade,
    NerveSegment,
    NerveStudy,
    Paraprotein,
    Patient,
    PriorTreatment,
    Titre,
    Visit,
)
from registry.models import Center
from treatments.models import AdverseEvent, LotNumber, Outcome, Series
from treatments.rules.course import Dosing, default_interval_days, series_dosing
from treatments.selectors import rules_for_diagnosis

MAX_SERIES = 24
MUSCLE_SIDES = [(muscle, side) for muscle, _ in cat.MUSCLES for side, _ in cat.SIDES]
DIAGNOSES = cat.codes(cat.DIAGNOSES)
PRODUCTS = ("Privigen", "Octagam", "Kiovig", "Gammagard", "Flebogamma")
SEGMENT_SITES = {
    "median": (("wrist", "elbow"), ("elbow", "axilla")),
    "ulnar": (("wrist", "below elbow"), ("below elbow", "above elbow"), ("above elbow",
                                                                          "axilla")),
    "radial": (("forearm", "spiral groove"),),
    "peroneal": (("ankle", "fibular head"), ("fibular head", "popliteal fossa")),
    "tibial": (("ankle", "popliteal fossa"),),
}
# How a patient's target muscles move over the series: (gain at plateau, series to reach it,
# wear-off drop before the next series).
RESPONSES = ((12, 3, 0), (10, 4, 1), (6, 5, 0), (3, 2, 1), (0, 1, 0), (-3, 4, 0))


@dataclass
class Counts:
    """Rows written per model name."""

    rows: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, count: int) -> None:
        self.rows[name] = self.rows.get(name, 0) + count


@dataclass
class _Batch:
    """The rows of a batch of patients, ids already drawn, in dependency order."""

    rows: dict[type[models.Model], list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, model: type[models.Model], **values: Any) -> dict[str, Any]:
        self.rows.setdefault(model, []).append(values)
        return values


class _Ids:
    """Ids drawn from the tables' own sequences, a block at a time."""

    def __init__(self) -> None:
        self.free: dict[type[models.Model], list[int]] = {}

    def reserve(self, model: type[models.Model], count: int) -> None:
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            self.free[model] = [row[0] for row in cursor.fetchall()][::-1]

    def take(self, model: type[models.Model]) -> int:
        return self.free[model].pop()


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    # The rows name concrete fields only, each with its column (never a reverse relation).
    assert isinstance(field, models.Field) and field.column is not None
    return field.column


def _unset_value(model_field: models.Field) -> Any:
    """What a column holds when a row leaves it out, as the model would save it: the
    field's default, else NULL (nullable) or "" (a blank text field). COPY applies no
    Django default, so every column the merged features added is filled here."""
    if model_field.has_default():
        return model_field.get_default()
    if model_field.null:
        return None
    if model_field.blank and isinstance(model_field, (models.CharField, models.TextField)):
        return ""
    raise AssertionError(f"{model_field} has no default: the generator must give it.")


def _copy(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    given = set(rows[0])
    unset = {f.name: _unset_value(f) for f in model._meta.concrete_fields
             if f.name not in given and f.attname not in given and not f.primary_key}
    if unset:
        rows = [{**row, **unset} for row in rows]
    names = list(rows[0])
    columns = ", ".join(connection.ops.quote_name(_column(model, name)) for name in names)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] for name in names])


def _two(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


class _PatientBuilder:
    """Draws one patient and its history; ids of parents come from ``ids``."""

    def __init__(self, *, batch: _Batch, ids: _Ids, now, centers: Sequence[int],
                 rules: dict[str, Any] | None = None) -> None:
        self.batch, self.ids, self.now, self.centers = batch, ids, now, centers
        # Each diagnosis' rule set, read once (shared by the batches of a run).
        self.rules: dict[str, Any] = {} if rules is None else rules

    def rules_of(self, diagnosis: str):
        """The diagnosis' default rule set: one query per diagnosis and run, not one per
        series (at 100,000 patients, 1.25 million queries were most of the load)."""
        if diagnosis not in self.rules:
            self.rules[diagnosis] = rules_for_diagnosis(diagnosis)
        return self.rules[diagnosis]

    def versioned(self) -> dict[str, Any]:
        return {"version": 1, "created_at": self.now, "updated_at": self.now}

    def build(self, *, seed: int, index: int, prefix: str) -> int:
        rng = random.Random(f"{seed}:{index}")
        add = self.batch.add
        code = f"{prefix}-{index + 1:05d}"
        diagnosis = DIAGNOSES[index % len(DIAGNOSES)]
        birth_year = rng.randint(1935, 1985)
        first_series_on = date(2008, 1, 1) + timedelta(days=rng.randint(0, 12 * 365))
        onset_year = rng.randint(min(birth_year + 18, first_series_on.year),
                                 first_series_on.year)
        patient_id = self.ids.take(Patient)
        add(Patient, id=patient_id, code=code, center_id=self.centers[index % len(self.centers)],
            sex=(sex := rng.choice("MF")), birth_year=birth_year, diagnosis=diagnosis,
            onset_year=onset_year,
            neuropathy_pattern=rng.choice((None, *cat.codes(cat.NEUROPATHY_PATTERNS))),
            notes="", **self.versioned())
        add(Identity, id=self.ids.take(Identity), patient_id=patient_id,
            name=f"Synthetic patient {code}",
            date_of_birth=date(birth_year, rng.randint(1, 12), rng.randint(1, 28)),
            hospital_number=f"H{index + 1:07d}")
        consent_on = first_series_on - timedelta(days=rng.randint(30, 90))
        withdrawn = consent_on + timedelta(days=rng.randint(100, 900)) \
            if rng.random() < 0.02 else None
        add(Consent, id=self.ids.take(Consent), patient_id=patient_id, given_on=consent_on,
            version="v1", withdrawn_on=withdrawn)
        add(Outcome, id=self.ids.take(Outcome), patient_id=patient_id, data_version=1,
            computed_data_version=0, rules_version="", thresholds_revision=None, criteria="",
            computed_at=None, status="", result="{}", summary="{}")
        for side, nerve in sorted(rng.sample([(s, n) for s in "RL" for n in SEGMENT_SITES],
                                             rng.randint(1, 4))):
            add(AffectedNerve, id=self.ids.take(AffectedNerve), patient_id=patient_id,
                side=side, nerve=nerve)
        rules = self.rules_of(diagnosis)
        series = self.series(rng, patient_id, first_series_on,
                             dosing=lambda **kw: series_dosing(
                                 sex=sex, age_years=None, rules=rules,
                                 height_cm=None, basis="actual", **kw))
        self.visits(rng, patient_id, series)
        self.titres(rng, patient_id, diagnosis, first_series_on, series)
        self.studies(rng, patient_id, first_series_on, series)
        self.other_records(rng, patient_id, diagnosis, first_series_on)
        return len(series)

    def series(self, rng: random.Random, patient_id: int, first_on: date, *,
               dosing: Callable[..., Dosing]) -> list[dict]:
        count = rng.randint(1, MAX_SERIES)
        stopped = rng.random() < 0.03
        weight = Decimal(f"{rng.uniform(45, 110):.1f}")
        product = rng.choice(PRODUCTS)
        rows, started_on = [], first_on
        for number in range(1, count + 1):
            if number > 1:  # monthly, now and then a late one (flagged by the rules)
                started_on += timedelta(days=rng.randint(25, 35) if rng.random() > 0.03
                                        else rng.randint(45, 60))
            last = number == count
            dose = Decimal("2.00") if rng.random() > 0.1 else Decimal("1.00")
            # Stored dosing values as the service computes them (§10, the pure rule): an
            # intravenous maintenance course dosed on the actual weight.
            dosed = dosing(route="iv", dose_g_per_kg=dose, weight_kg=weight)
            row = self.batch.add(
                Series, id=self.ids.take(Series), patient_id=patient_id, number=number,
                started_on=started_on, days=rng.randint(2, 5),
                dose_g_per_kg=dose,
                weight_kg=weight, product=product, route="iv", regimen="maintenance",
                expected_interval_days=default_interval_days("iv"), dose_basis="actual",
                dosing_weight_kg=dosed.dosing_weight_kg, total_grams=dosed.total_grams,
                prescribed_grams=dosed.prescribed_grams,
                dosing_rules_version=dosed.rules_version,
                status="stopped" if stopped and last else "given",
                stop_reason="recurrent allergic rash" if stopped and last else "",
                **self.versioned(),
            )
            rows.append(row)
            for lot in rng.sample(range(10000, 99999), rng.randint(1, 3)):
                self.batch.add(LotNumber, id=self.ids.take(LotNumber), series_id=row["id"],
                               lot=f"{product[:3].upper()}{lot}")
            if (stopped and last) or rng.random() < 0.03:
                self.batch.add(AdverseEvent, id=self.ids.take(AdverseEvent),
                               series_id=row["id"],
                               kind="rash" if stopped and last else rng.choice(("headache",
                                                                                "fever")),
                               severity="moderate" if stopped and last else "mild",
                               led_to_stop=stopped and last, notes="")
        return rows

    def visits(self, rng: random.Random, patient_id: int, series: list[dict]) -> None:
        muscles = sorted(rng.sample(MUSCLE_SIDES, rng.randint(10, 20)),
                         key=lambda ms: (cat.MUSCLE_ORDER[ms[0]], ms[1] == "L"))
        baseline = {ms: rng.choice((1, 2, 2, 3, 3, 4, 4, 5)) for ms in muscles}
        gain, ramp, drop = rng.choice(RESPONSES)
        prineas = rng.randint(2, 5)

        def grades(step: int, minus: int = 0) -> dict:
            total = gain * min(step, ramp) // ramp - minus  # gain in the sum of 5 targets
            per_muscle = total / 5
            return {
                ms: max(0, min(5, round(grade + per_muscle + rng.choice((0, 0, 0, 0, 0, -1, 1)))))
                for ms, grade in baseline.items()
            }

        def visit(on: date, kind: str, series_id: int | None, mrc: dict, score: int) -> None:
            visit_id = self.ids.take(Visit)
            self.batch.add(Visit, id=visit_id, patient_id=patient_id, visited_on=on, kind=kind,
                           series_id=series_id, examiner="", functional_score=min(5, score),
                           prineas_score=min(5, score), notes="", recorded_by_id=None,
                           # The INCAT (§9, the primary measure of CIDP), tracking the
                           # disability score (arm and leg each 0-5).
                           incat_arm=min(5, score), incat_leg=min(5, (score + 1) // 2),
                           **self.versioned())
            for (muscle, side), grade in mrc.items():
                self.batch.add(MrcGrade, visit_id=visit_id, muscle=muscle, side=side,
                               grade=grade)

        visit(series[0]["started_on"] - timedelta(days=rng.randint(3, 14)), "baseline", None,
              baseline, prineas)
        for step, row in enumerate(series, start=1):
            if step > 1:
                visit(row["started_on"] - timedelta(days=rng.randint(0, 2)), "pre_series",
                      row["id"], grades(step - 1, drop), max(0, prineas - step // 4))
            visit(row["started_on"] + timedelta(days=rng.randint(14, 20)), "post_series",
                  row["id"], grades(step), max(0, prineas - step // 3))
        last = series[-1]["started_on"]
        for months in range(1, rng.randint(1, 3)):
            visit(last + timedelta(days=30 * months + 21), "follow_up", None,
                  grades(len(series)), max(0, prineas - len(series) // 3))
        if rng.random() < 0.5:
            visit(last + timedelta(days=120), "final", None, grades(len(series)),
                  max(0, prineas - len(series) // 3))

    def titres(self, rng: random.Random, patient_id: int, diagnosis: str, first_on: date,
               series: list[dict]) -> None:
        antigen, isotype, method, unit, values = (
            ("mag", "IgM", "elisa", "btu", (0, 500, 1500, 10000, 70000))
            if diagnosis == "igm_mgus_pn"
            else ("gm1", "IgM", "elisa", "dilution", (0, 400, 800, 1600, 3200, 6400))
        )
        dates = [first_on - timedelta(days=rng.randint(1, 60))]
        dates += [row["started_on"] for row in rng.sample(series, min(len(series),
                                                                     rng.randint(0, 2)))]
        for sampled_on in sorted(dates):
            self.batch.add(Titre, id=self.ids.take(Titre), patient_id=patient_id,
                           sampled_on=sampled_on, antigen=antigen, isotype=isotype,
                           method=method, value=Decimal(rng.choice(values)), unit=unit,
                           **self.versioned())

    def studies(self, rng: random.Random, patient_id: int, first_on: date,
                series: list[dict]) -> None:
        dates = {first_on - timedelta(days=rng.randint(5, 60))}
        dates |= {row["started_on"] + timedelta(days=7)
                  for row in rng.sample(series, min(len(series), rng.randint(0, 2)))}
        segments = [(nerve, side, sites) for nerve, pairs in SEGMENT_SITES.items()
                    for sites in pairs for side in "RL"]
        chosen = sorted(rng.sample(segments, rng.randint(2, 6)))
        ratios = {key: rng.uniform(0.15, 1.0) for key in chosen}
        for studied_on in sorted(dates):
            study_id = self.ids.take(NerveStudy)
            self.batch.add(NerveStudy, id=study_id, patient_id=patient_id,
                           studied_on=studied_on, notes="", **self.versioned())
            for key in chosen:
                nerve, side, (distal_site, proximal_site) = key
                ratio = min(1.0, ratios[key] + rng.uniform(-0.05, 0.1))
                amplitude = rng.uniform(1.0, 12.0)
                area = amplitude * rng.uniform(2.5, 3.5)
                duration = rng.uniform(4.5, 7.0)
                self.batch.add(
                    NerveSegment, study_id=study_id, nerve=nerve, side=side,
                    distal_site=distal_site, proximal_site=proximal_site,
                    distal_amplitude_mv=_two(amplitude),
                    proximal_amplitude_mv=_two(amplitude * ratio),
                    distal_area_mvms=_two(area),
                    proximal_area_mvms=_two(area * min(1.0, ratio + rng.uniform(-0.1, 0.1))),
                    distal_duration_ms=_two(duration),
                    proximal_duration_ms=_two(duration * rng.uniform(0.95, 1.25)),
                    velocity_m_s=Decimal(f"{rng.uniform(30, 65):.1f}"),
                )

    def other_records(self, rng: random.Random, patient_id: int, diagnosis: str,
                      first_on: date) -> None:
        if diagnosis in ("igm_mgus_pn", "igg_mgus_pn"):
            for _ in range(rng.randint(1, 2)):
                self.batch.add(
                    Paraprotein, id=self.ids.take(Paraprotein), patient_id=patient_id,
                    measured_on=first_on - timedelta(days=rng.randint(1, 400)),
                    isotype="IgM" if diagnosis == "igm_mgus_pn" else "IgG",
                    light_chain=rng.choice(cat.codes(cat.LIGHT_CHAINS)),
                    serum_level_g_l=_two(rng.uniform(1, 25)), **self.versioned())
        if rng.random() < 0.4:
            for kind in rng.sample(cat.codes(cat.PRIOR_TREATMENTS), rng.randint(1, 2)):
                started = first_on - timedelta(days=rng.randint(200, 2000))
                self.batch.add(
                    PriorTreatment, id=self.ids.take(PriorTreatment), patient_id=patient_id,
                    kind=kind, started_on=started,
                    ended_on=started + timedelta(days=rng.randint(30, 180)), notes="",
                    **self.versioned())


# Upper bounds of rows per patient, to reserve ids a batch at a time.
_IDS_PER_PATIENT = {
    Patient: 1, Identity: 1, Consent: 1, Outcome: 1, AffectedNerve: 4,
    Series: MAX_SERIES, LotNumber: 3 * MAX_SERIES, AdverseEvent: MAX_SERIES,
    Visit: 2 * MAX_SERIES + 3, Titre: 3, NerveStudy: 3, Paraprotein: 2, PriorTreatment: 2,
}
_ORDER: tuple[type[models.Model], ...] = (
    Patient, Identity, Consent, Outcome, AffectedNerve, Series, LotNumber, AdverseEvent,
    Visit, MrcGrade, Titre, NerveStudy, NerveSegment, Paraprotein, PriorTreatment,
)


def synthetic_centers(count: int) -> list[Center]:
    return [
        Center.objects.get_or_create(code=f"syn-{n}",
                                     defaults={"name": f"Synthetic centre {n}"})[0]
        for n in range(1, count + 1)
    ]


def generate_registry(
    *, patients: int, seed: int = 1, centers: int = 5, prefix: str = "SYN",
    batch_size: int = 500, progress: Callable[[int], None] | None = None,
) -> Counts:
    """Write ``patients`` synthetic patients with their histories; returns rows per model."""
    if connection.vendor != "postgresql":
        raise RuntimeError("The synthetic registry is loaded with COPY: PostgreSQL only.")
    center_ids = [center.pk for center in synthetic_centers(centers)]
    counts = Counts()
    now = timezone.now()
    rules: dict[str, Any] = {}
    for start in range(0, patients, batch_size):
        stop = min(patients, start + batch_size)
        batch, ids = _Batch(), _Ids()
        with transaction.atomic():
            for model, per_patient in _IDS_PER_PATIENT.items():
                ids.reserve(model, per_patient * (stop - start))
            builder = _PatientBuilder(batch=batch, ids=ids, now=now, centers=center_ids,
                                      rules=rules)
            for index in range(start, stop):
                builder.build(seed=seed, index=index, prefix=prefix)
            for model in _ORDER:
                rows = batch.rows.get(model, [])
                _copy(model, rows)
                counts.add(model.__name__, len(rows))
        if progress is not None:
            progress(stop - start)
    with connection.cursor() as cursor:  # fresh statistics for the planner
        for model in _ORDER:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return counts


def synthetic_codes(prefix: str) -> Iterable[str]:
    return Patient.objects.filter(code__startswith=f"{prefix}-").values_list("code", flat=True)
