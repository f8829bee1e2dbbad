"""HL7 FHIR R4 out: a patient's record as a ``Bundle`` of type ``collection``, and the
registry's own CodeSystem (docs/fhir.md has the whole mapping).

Every resource is built with ``fhir.resources`` (its R4B models: R4B changed none of the
resources used here from R4), so an answer that is not valid FHIR fails while it is built,
never at the receiving end. No database here: the builder takes a patient whose rows the
selector (``exchange.selectors.fhir_patient``) has already read, and gives plain JSON data.

Codes: SNOMED CT and LOINC only where the code is certain (a few routes, laterality, the
body weight, one diagnosis); everything else is a code of the registry's CodeSystem, whose
codes come from ``catalogues`` (``LOCAL_GROUPS``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.adverseevent import AdverseEvent
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.medication import Medication
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.resource import Resource

import catalogues as cat

FHIR_JSON = "application/fhir+json"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
CODE_SYSTEM_ID = "ivig-registry"

# SNOMED CT codes cited where the concept is certain (docs/fhir.md lists them with their
# names); a diagnosis without one is coded in the registry's CodeSystem only.
DIAGNOSIS_SNOMED: dict[str, tuple[str, str]] = {
    "cidp": ("128209004", "Chronic inflammatory demyelinating polyradiculoneuropathy"),
}
LATERALITY_SNOMED: dict[str, tuple[str, str]] = {
    "R": ("24028007", "Right"),
    "L": ("7771000", "Left"),
}
ROUTE_SNOMED: dict[str, tuple[str, str]] = {
    "iv": ("47625008", "Intravenous route"),
    "sc": ("34206005", "Subcutaneous route"),
}
BODY_WEIGHT_LOINC = ("29463-7", "Body weight")
GENDERS = {"M": "male", "F": "female"}
# A series given → the administration completed; stopped → stopped (R4's codes).
ADMINISTRATION_STATUS = {"given": "completed", "stopped": "stopped"}

# The scores recorded on a visit, each an Observation: visit field → (code in the
# registry's CodeSystem, display). The §9 measures (incat_arm, …) are one line each.
VISIT_SCORES: tuple[tuple[str, str, str], ...] = (
    ("prineas_score", "prineas", "Prineas disability score"),
    ("functional_score", "functional", "Functional score"),
    # clinical-rules.md §9: today's scales, as recorded on the visit.
    ("incat_arm", "incat_arm", "INCAT disability scale, arm score (0–5)"),
    ("incat_leg", "incat_leg", "INCAT disability scale, leg score (0–5)"),
    ("irods_centile", "irods_centile", "I-RODS centile (0–100)"),
    ("irods_raw", "irods_raw", "I-RODS raw score (0–48)"),
    ("grip_right_kpa", "grip_right_kpa", "Grip strength, right hand, Martin vigorimeter (kPa)"),
    ("grip_left_kpa", "grip_left_kpa", "Grip strength, left hand, Martin vigorimeter (kPa)"),
    ("onls_arm", "onls_arm", "ONLS, arm score (0–5)"),
    ("onls_leg", "onls_leg", "ONLS, leg score (0–7)"),
)

# The registry's CodeSystem: one group per code list; a code is ``<group>.<code>``.
LOCAL_GROUPS: dict[str, tuple[str, cat.Choices]] = {
    "diagnosis": ("Diagnoses", cat.DIAGNOSES),
    "muscle": ("Muscles (MRC grading)", cat.MUSCLES),
    "side": ("Sides", cat.SIDES),
    "visit_kind": ("Visit kinds", cat.VISIT_KINDS),
    "measure": ("Scores recorded on a visit",
                tuple((code, display) for _field, code, display in VISIT_SCORES)),
    "observation": ("Other observations", (("mrc_grade", "MRC muscle strength grade (0–5)"),)),
    "titre": ("Anti-glycolipid and anti-MAG antibody titres", tuple(
        (f"{antigen}.{isotype}", f"Anti-{antigen_label} {isotype} antibody titre")
        for antigen, antigen_label in cat.ANTIGENS for isotype, _ in cat.ISOTYPES)),
    "titre_method": ("Titre methods", cat.TITRE_METHODS),
    "titre_unit": ("Titre units", cat.TITRE_UNITS),
    "adverse_event": ("Adverse events of IVIg", cat.ADVERSE_EVENT_KINDS),
}


@dataclass(frozen=True)
class Systems:
    """The URLs of the registry's own identifiers and codes, from one base
    (``settings.FHIR_SYSTEM_BASE``)."""

    base: str

    @property
    def code_system(self) -> str:
        return f"{self.base}/CodeSystem/{CODE_SYSTEM_ID}"

    @property
    def patient_code(self) -> str:
        return f"{self.base}/patient-code"

    @property
    def hospital_number(self) -> str:
        return f"{self.base}/hospital-number"

    def extension(self, name: str) -> str:
        return f"{self.base}/StructureDefinition/{name}"


def local_code(group: str, code: str) -> str:
    return f"{group}.{code}"


def _local_display(group: str, code: str) -> str:
    return cat.label(LOCAL_GROUPS[group][1], code)


def _concept(systems: Systems, group: str, code: str, text: str | None = None) -> dict:
    display = _local_display(group, code)
    return {"coding": [{"system": systems.code_system, "code": local_code(group, code),
                        "display": display}], "text": text or display}


def _quantity(value: Decimal | int | float, unit: str, code: str, system: str = UCUM) -> dict:
    return {"value": value, "unit": unit, "system": system, "code": code}


def _day(value: date) -> str:
    return value.isoformat()


class _Entries:
    """The Bundle's entries, each with a stable ``urn:uuid`` (from the registry's base,
    the kind of record and its key), so that references resolve inside the Bundle and the
    same record has the same full URL in every answer."""

    def __init__(self, systems: Systems) -> None:
        self.systems = systems
        self.resources: list[tuple[str, Resource]] = []

    def url(self, *key: object) -> str:
        name = "/".join(str(part) for part in (self.systems.base, *key))
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"

    def add(self, model: type[Resource], url: str, data: dict[str, Any]) -> dict[str, str]:
        resource = model.model_validate({**data, "id": url.removeprefix("urn:uuid:")})
        self.resources.append((url, resource))
        return {"reference": url}


def patient_bundle(patient, *, with_identity: bool, systems: Systems) -> dict[str, Any]:
    """The patient's record as a FHIR R4 ``Bundle`` (type ``collection``), as JSON data.

    ``patient`` comes from ``exchange.selectors.fhir_patient`` (rows already read).
    ``with_identity``: whether the user may see the direct identifiers (name, date of birth,
    hospital number); without it the Patient carries the registry code, sex and birth year
    only, as the API shows a researcher.
    """
    entries = _Entries(systems)
    subject = _patient(entries, patient, with_identity=with_identity)
    condition = entries.add(Condition, entries.url("Condition", patient.pk), {
        "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": "active"}]},
        "code": _diagnosis(systems, patient.diagnosis),
        "subject": subject,
        **({"onsetDateTime": str(patient.onset_year)} if patient.onset_year else {}),
    })
    administrations: dict[int, dict[str, str]] = {}
    for series in patient.series.all():
        administrations[series.pk] = _series(entries, series, subject, condition)
    for visit in patient.visits.all():
        _visit(entries, visit, subject)
    for titre in patient.titres.all():
        _titre(entries, titre, subject)
    for series in patient.series.all():
        for number, event in enumerate(series.adverse_events.all(), start=1):
            _adverse_event(entries, series, number, event, subject, administrations[series.pk])
    bundle = Bundle.model_validate({
        "type": "collection",
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries.resources],
    })
    return bundle.model_dump(mode="json", exclude_none=True)


def _patient(entries: _Entries, patient, *, with_identity: bool) -> dict[str, str]:
    systems = entries.systems
    data: dict[str, Any] = {
        "identifier": [{"use": "secondary", "system": systems.patient_code,
                        "value": patient.code}],
        "gender": GENDERS.get(patient.sex, "unknown"),
    }
    identity = _identity(patient) if with_identity else None
    if identity is not None and identity.hospital_number:
        data["identifier"].insert(0, {
            "use": "usual", "system": systems.hospital_number, "value": identity.hospital_number,
            "type": {"coding": [{"system": IDENTIFIER_TYPE, "code": "MR"}]},
        })
    if identity is not None and identity.name:
        data["name"] = [{"text": identity.name}]
    if identity is not None and identity.date_of_birth:
        data["birthDate"] = _day(identity.date_of_birth)
    elif patient.birth_year:  # the year is not a direct identifier (the API shows it)
        data["birthDate"] = str(patient.birth_year)
    return entries.add(Patient, entries.url("Patient", patient.pk), data)


def _identity(patient):
    try:
        return patient.identity
    except patient.__class__.identity.RelatedObjectDoesNotExist:
        return None


def _diagnosis(systems: Systems, diagnosis: str) -> dict:
    concept = _concept(systems, "diagnosis", diagnosis)
    if diagnosis in DIAGNOSIS_SNOMED:
        code, display = DIAGNOSIS_SNOMED[diagnosis]
        concept["coding"].insert(0, {"system": SNOMED, "code": code, "display": display})
    return concept


def _series(entries: _Entries, series, subject: dict, condition: dict) -> dict[str, str]:
    """One MedicationAdministration; its Medication carries the series' lot, or — several
    lots — one ingredient per lot, each a Medication with its ``batch.lotNumber``."""
    systems = entries.systems
    product = {"text": series.product}
    lots = [lot.lot for lot in series.lots.all()]
    if len(lots) == 1:
        medication = entries.add(Medication, entries.url("Medication", series.pk), {
            "code": product, "batch": {"lotNumber": lots[0]}})
    else:
        ingredients = [
            {"itemReference": entries.add(
                Medication, entries.url("Medication", series.pk, "lot", lot),
                {"code": product, "batch": {"lotNumber": lot}}), "isActive": True}
            for lot in lots
        ]
        medication = entries.add(Medication, entries.url("Medication", series.pk), {
            "code": product, **({"ingredient": ingredients} if ingredients else {})})
    weight = entries.add(Observation, entries.url("Observation", "weight", series.pk), {
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "vital-signs"}]}],
        "code": {"coding": [{"system": LOINC, "code": BODY_WEIGHT_LOINC[0],
                             "display": BODY_WEIGHT_LOINC[1]}], "text": "Body weight"},
        "subject": subject,
        "effectiveDateTime": _day(series.started_on),
        "valueQuantity": _quantity(series.weight_kg, "kg", "kg"),
    })
    route = series.route
    route_code, route_display = ROUTE_SNOMED[route]
    dosage: dict[str, Any] = {
        "text": f"{series.dose_g_per_kg} g/kg over {series.days} day(s)",
        "route": {"coding": [{"system": SNOMED, "code": route_code,
                              "display": route_display}]},
        "extension": [{"url": systems.extension("dose-per-kg"),
                       "valueQuantity": _quantity(series.dose_g_per_kg, "g/kg", "g/kg")}],
    }
    total = series.total_grams
    if total is not None:
        dosage["dose"] = _quantity(total, "g", "g")
    ended = series.started_on + timedelta(days=series.days - 1)
    data: dict[str, Any] = {
        "status": ADMINISTRATION_STATUS[series.status],
        "medicationReference": medication,
        "subject": subject,
        "effectivePeriod": {"start": _day(series.started_on), "end": _day(ended)},
        "reasonReference": [condition],
        "supportingInformation": [weight],
        "dosage": dosage,
        "note": [{"text": f"Series {series.number}"}],
    }
    if series.status == "stopped" and series.stop_reason:
        data["statusReason"] = [{"text": series.stop_reason}]
    return entries.add(MedicationAdministration,
                       entries.url("MedicationAdministration", series.pk), data)


def _visit(entries: _Entries, visit, subject: dict) -> None:
    """An Encounter for the visit (its kind), and an Observation per MRC grade and score."""
    systems = entries.systems
    encounter = entries.add(Encounter, entries.url("Encounter", visit.pk), {
        "status": "finished",
        "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
        "type": [_concept(systems, "visit_kind", visit.kind)],
        "subject": subject,
        "period": {"start": _day(visit.visited_on), "end": _day(visit.visited_on)},
    })
    common = {"status": "final", "subject": subject, "encounter": encounter,
              "effectiveDateTime": _day(visit.visited_on)}
    exam = [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "exam"}]}]
    for grade in visit.mrc.all():
        side_code, side_display = LATERALITY_SNOMED[grade.side]
        body_site = _concept(systems, "muscle", grade.muscle, text=(
            f"{cat.label(cat.SIDES, grade.side)} {_local_display('muscle', grade.muscle)}"))
        body_site["extension"] = [{"url": systems.extension("laterality"),
                                   "valueCodeableConcept": {"coding": [{
                                       "system": SNOMED, "code": side_code,
                                       "display": side_display}]}}]
        entries.add(Observation, entries.url("Observation", "mrc", grade.pk), {
            **common, "category": exam,
            "code": _concept(systems, "observation", "mrc_grade"),
            "bodySite": body_site,
            "valueInteger": grade.grade,
        })
    survey = [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey"}]}]
    for field, code, _display in VISIT_SCORES:
        value = getattr(visit, field)
        if value is None:
            continue
        entries.add(Observation, entries.url("Observation", field, visit.pk), {
            **common, "category": survey,
            "code": _concept(systems, "measure", code),
            **({"valueInteger": value} if isinstance(value, int)
               else {"valueQuantity": _quantity(value, "kPa", "kPa")}
               if field.endswith("_kpa") else {"valueQuantity": {"value": value}}),
        })


def _titre(entries: _Entries, titre, subject: dict) -> None:
    systems = entries.systems
    entries.add(Observation, entries.url("Observation", "titre", titre.pk), {
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "laboratory"}]}],
        "code": _concept(systems, "titre", f"{titre.antigen}.{titre.isotype}"),
        "subject": subject,
        "effectiveDateTime": _day(titre.sampled_on),
        "method": _concept(systems, "titre_method", titre.method),
        "valueQuantity": _quantity(titre.value, _local_display("titre_unit", titre.unit),
                                   local_code("titre_unit", titre.unit),
                                   system=systems.code_system),
    })


def _adverse_event(entries: _Entries, series, number: int, event, subject: dict,
                   administration: dict) -> None:
    systems = entries.systems
    data: dict[str, Any] = {
        "actuality": "actual",
        "event": _concept(systems, "adverse_event", event.kind,
                          text=event.notes or None),
        "subject": subject,
        "date": _day(series.started_on),
        "severity": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/adverse-event-severity",
            "code": event.severity}]},
        "suspectEntity": [{"instance": administration}],
        "extension": [{"url": systems.extension("led-to-stop"),
                       "valueBoolean": bool(event.led_to_stop)}],
    }
    entries.add(AdverseEvent, entries.url("AdverseEvent", series.pk, number), data)


def code_system(systems: Systems) -> dict[str, Any]:
    """The registry's own CodeSystem: every local code a Bundle may use, grouped by list."""
    resource = CodeSystem.model_validate({
        "id": CODE_SYSTEM_ID,
        "url": systems.code_system,
        "name": "IVIgRegistry",
        "title": "IVIg follow-up registry codes",
        "status": "active",
        "content": "complete",
        "caseSensitive": True,
        "hierarchyMeaning": "grouped-by",
        "concept": [
            {"code": group, "display": title, "concept": [
                {"code": local_code(group, code), "display": display}
                for code, display in choices]}
            for group, (title, choices) in LOCAL_GROUPS.items()
        ],
    })
    return resource.model_dump(mode="json", exclude_none=True)
