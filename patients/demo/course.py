"""The treatment-course demo (clinical-rules.md §10): two CIDP patients on maintenance IVIg
whose clinic tried a withdrawal (trial off) — one relapsed and resumed treatment, one
tolerated it and is off treatment. Constructed, not from the source paper (whose patients
``patients.demo.paper`` keeps unchanged); loaded by ``manage.py load_demo`` after them.

Each visit has an MRC grid and the INCAT scores that go with it: CIDP is judged on
adjusted INCAT (§9's primary measure), which judges the attempts too.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from patients import services
from patients.models import Patient
from registry.models import Center
from treatments.services import series_give, tailoring_record

PRODUCT = "IVIg (demo)"
FIRST_SERIES = date(2022, 1, 10)
EVERY = timedelta(days=28)
# The weak muscle-sides of a CIDP patient (distal, symmetrical), others graded 5.
WEAK = (("finger_extensors", "R"), ("finger_extensors", "L"), ("first_dorsal_interosseous", "R"),
        ("first_dorsal_interosseous", "L"), ("tibialis_anterior", "R"))
STRONG = (("deltoid", "R"), ("deltoid", "L"), ("quadriceps", "R"), ("quadriceps", "L"))
POST_SCORES = (15, 17, 19, 20, 20, 20)  # target sums after series 1–6 (baseline 12)

COURSE_PATIENTS = (
    {"code": "CIDP-T01", "sex": "M", "birth_year": 1961, "onset_year": 2019, "relapse": True,
     "notes": "Constructed demo: trial off after six series, relapse at six weeks."},
    {"code": "CIDP-T02", "sex": "F", "birth_year": 1970, "onset_year": 2018, "relapse": False,
     "notes": "Constructed demo: trial off after six series, tolerated."},
)


def _grid(total: int) -> list[dict]:
    base, extra = divmod(total, len(WEAK))
    return ([{"muscle": m, "side": s, "grade": base + (1 if i < extra else 0)}
             for i, (m, s) in enumerate(WEAK)]
            + [{"muscle": m, "side": s, "grade": 5} for m, s in STRONG])


def _incat(score: int) -> dict[str, int]:
    """INCAT arm and leg (CIDP's primary measure, adjusted INCAT: clinical-rules.md §9)
    that go with a target sum: 12 → 3 + 2, 15 → 2 + 1, 17 → 1 + 1, 19 and 20 → 0 + 0; from
    20 to 17 the leg worsens by one (the MCID: a relapse) while the arm's 0 → 1 counts 0."""
    return {"incat_arm": min(5, max(0, (21 - score) // 3)),
            "incat_leg": min(5, max(0, (20 - score) // 3))}


def _visit(patient: Patient, on: date, kind: str, score: int, series=None) -> None:
    services.visit_record(patient=patient, data={
        "visited_on": on, "kind": kind, "series": series, "examiner": "Demo examiner",
        **_incat(score)}, mrc=_grid(score))


def _series(patient: Patient, on: date):
    return series_give(patient=patient, data={
        "started_on": on, "days": 5, "dose_g_per_kg": Decimal("2.0"),
        "weight_kg": Decimal("78.0"), "product": PRODUCT}, lot_numbers=[f"D{on:%y%m%d}"])


def _patient(center: Center, spec: dict) -> Patient:
    patient = services.patient_create(center=center, data={
        "code": spec["code"], "sex": spec["sex"], "birth_year": spec["birth_year"],
        "diagnosis": "cidp", "onset_year": spec["onset_year"],
        "neuropathy_pattern": "demyelinating", "notes": spec["notes"]},
        consent={"given_on": date(2021, 12, 20), "version": "demo"})
    _visit(patient, FIRST_SERIES - timedelta(days=7), "baseline", 12)
    for number, score in enumerate(POST_SCORES, start=1):
        series = _series(patient, FIRST_SERIES + EVERY * (number - 1))
        _visit(patient, series.started_on + timedelta(days=14), "post_series", score, series)
    stop = FIRST_SERIES + EVERY * len(POST_SCORES)  # when series 7 would have been due
    _visit(patient, stop, "follow_up", 20)  # the attempt's reference
    tailoring_record(patient=patient, data={
        "kind": "withdrawal", "started_on": stop,
        "notes": "Trial off (EAN/PNS 2021): stable for three months."})
    if spec["relapse"]:
        _visit(patient, stop + timedelta(days=42), "follow_up", 17)  # −3: relapse
        resumed = _series(patient, stop + timedelta(days=49))
        _visit(patient, resumed.started_on + timedelta(days=14), "post_series", 20, resumed)
    else:
        _visit(patient, stop + timedelta(days=60), "follow_up", 20)
        _visit(patient, stop + timedelta(days=150), "follow_up", 20)
    return patient


def load_course_demo(center: Center) -> list[Patient]:
    """Create the course demo's patients not there yet (idempotent), in ``center``."""
    existing = set(Patient.objects.filter(center=center).values_list("code", flat=True))
    created = []
    for spec in COURSE_PATIENTS:
        if spec["code"] in existing:
            continue
        with transaction.atomic():  # a patient is loaded whole or not at all
            created.append(_patient(center, spec))
    return created
