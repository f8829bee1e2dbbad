"""Load ``patients.demo.paper`` into the database through the services (idempotent)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from patients import services
from patients.demo.cidp import CIDP_PATIENTS
from patients.demo.paper import CENTRE, COURSE_PATIENTS, PATIENTS
from patients.models import Patient
from registry.models import Center
from treatments.services import series_give


def _decimals(row: dict) -> dict:
    """The demo data writes measurements as floats; the columns keep two decimals."""
    return {
        key: Decimal(str(round(value, 2))) if isinstance(value, float) else value
        for key, value in row.items()
    }


def _patient(center: Center, data: dict) -> Patient:
    patient = services.patient_create(
        center=center,
        data={
            "code": data["code"], "sex": data["sex"], "birth_year": data["birth_year"],
            "diagnosis": data["diagnosis"], "onset_year": data["onset_year"],
            "neuropathy_pattern": data["neuropathy_pattern"], "notes": data["notes"],
        },
        affected_nerves=[{"side": side, "nerve": nerve} for side, nerve in data["affected_nerves"]],
        target_muscles=[{"muscle": m, "side": s} for m, s in data["target_muscles"]],
        identity=data["identity"],
        consent=data["consent"],
    )
    for titre in data["titres"]:
        services.titre_record(patient=patient, data=titre)
    for paraprotein in data["paraproteins"]:
        services.paraprotein_record(patient=patient, data=paraprotein)
    for treatment in data["prior_treatments"]:
        services.prior_treatment_record(patient=patient, data=treatment)
    series_by_number = {}
    for series in data["series"]:
        fields = {k: v for k, v in series.items() if k not in ("lot_numbers", "adverse_events")}
        # The paper's patients: intravenous, on the actual weight, series 1 the loading
        # dose and maintenance after it (clinical-rules.md §10).
        fields.setdefault("regimen", "loading" if series["number"] == 1 else "maintenance")
        series_by_number[series["number"]] = series_give(
            patient=patient, data=fields, lot_numbers=series["lot_numbers"],
            adverse_events=series["adverse_events"],
        )
    for visit in data["visits"]:
        fields = {k: v for k, v in visit.items() if k != "mrc"}
        fields["series"] = series_by_number.get(visit["series"])
        services.visit_record(
            patient=patient, data=fields,
            mrc=[{"muscle": m, "side": s, "grade": g} for (m, s), g in visit["mrc"].items()],
        )
    for study in data["nerve_studies"]:
        services.nerve_study_record(
            patient=patient, data={"studied_on": study["studied_on"]},
            segments=[_decimals(segment) for segment in study["segments"]],
        )
    return patient


def load_demo() -> tuple[Center, list[Patient]]:
    """Create the demo centre and every demo patient that is not there yet: the paper's,
    the constructed CIDP cohort of clinical-rules.md §9 (``patients.demo.cidp``) and the
    treatment course's (§10)."""
    center, _ = Center.objects.get_or_create(code=CENTRE["code"],
                                             defaults={"name": CENTRE["name"]})
    existing = set(Patient.objects.filter(center=center).values_list("code", flat=True))
    created = []
    for data in [*PATIENTS, *CIDP_PATIENTS, *COURSE_PATIENTS]:
        if data["code"] in existing:
            continue
        with transaction.atomic():  # a patient is loaded whole or not at all
            created.append(_patient(center, data))
    return center, created
