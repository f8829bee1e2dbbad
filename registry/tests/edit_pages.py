"""Every edit page of the registry, with a patient holding one record of each kind.

Shared by the page test (the rendered date values) and the browser test (a save through
Chromium keeps every date). Dates are chosen so that a day/month swap would be another
valid date (03/04 vs 04/03), and records are written through the services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.urls import get_resolver, reverse

from patients import services
from patients.models import (
    Consent,
    Identity,
    NerveStudy,
    Paraprotein,
    Patient,
    PriorTreatment,
    Titre,
    Visit,
)
from registry.models import Center
from registry.tests.factories import PatientFactory, mrc_grid
from treatments.models import Series, TailoringEpisode
from treatments.services import series_give, tailoring_record

BORN, CONSENTED = date(1960, 3, 4), date(2001, 1, 10)
STARTED, ENDED = date(1992, 2, 3), date(1993, 4, 5)
GIVEN, VISITED, SAMPLED, MEASURED, STUDIED = (
    date(1994, 1, 10), date(1994, 1, 24), date(1994, 1, 11), date(1994, 1, 12),
    date(1994, 1, 13))
TAILORED, UNTAILORED = date(1994, 2, 3), date(1994, 3, 4)
MODELS_WITH_DATES = (Identity, Consent, Visit, Series, Titre, Paraprotein, PriorTreatment,
                     NerveStudy, TailoringEpisode)


@dataclass(frozen=True)
class Recorded:
    patient: Patient
    ids: dict[str, int]


@dataclass(frozen=True)
class EditPage:
    name: str  # the URL name, in patients: or treatments:
    record: str | None  # key in Recorded.ids; None for the patient itself
    field: str  # a field that is not a date, changed by the browser test
    value: str
    button: str
    read: Callable[[Recorded], str]  # the changed field as stored
    dates: tuple[str, ...]  # the date inputs the page must show, fields of ``model``
    model: type | None = None

    def url(self, recorded: Recorded) -> str:
        args = [recorded.patient.pk]
        if self.record is not None:
            args.append(recorded.ids[self.record])
        return reverse(self.name, args=args)


EDIT_PAGES = [
    EditPage("patients:edit", None, "notes", "after", "Save patient",
             lambda r: Patient.objects.get(pk=r.patient.pk).notes, ()),
    EditPage("patients:visit_edit", "visit", "examiner", "Dr After", "Save visit",
             lambda r: Visit.objects.get(pk=r.ids["visit"]).examiner, ("visited_on",), Visit),
    EditPage("treatments:series_edit", "series", "product", "Privigen", "Save series",
             lambda r: Series.objects.get(pk=r.ids["series"]).product, ("started_on",), Series),
    EditPage("patients:titre_edit", "titre", "value", "3200.00", "Save",
             lambda r: str(Titre.objects.get(pk=r.ids["titre"]).value), ("sampled_on",), Titre),
    EditPage("patients:paraprotein_edit", "paraprotein", "serum_level_g_l", "5.10", "Save",
             lambda r: str(Paraprotein.objects.get(pk=r.ids["paraprotein"]).serum_level_g_l),
             ("measured_on",), Paraprotein),
    EditPage("patients:prior_treatment_edit", "prior_treatment", "notes", "after", "Save",
             lambda r: PriorTreatment.objects.get(pk=r.ids["prior_treatment"]).notes,
             ("started_on", "ended_on"), PriorTreatment),
    EditPage("patients:nerve_study_edit", "nerve_study", "notes", "after", "Save study",
             lambda r: NerveStudy.objects.get(pk=r.ids["nerve_study"]).notes, ("studied_on",),
             NerveStudy),
    EditPage("treatments:tailoring_edit", "tailoring", "notes", "after", "Save",
             lambda r: TailoringEpisode.objects.get(pk=r.ids["tailoring"]).notes,
             ("started_on", "ended_on"), TailoringEpisode),
]


def edit_page_names() -> set[str]:
    """Every URL name ending in ``edit`` that patients/urls.py and treatments/urls.py serve."""
    return {f"{app}:{pattern.name}" for app in ("patients", "treatments")
            for pattern in get_resolver(f"{app}.urls").url_patterns
            if pattern.name and pattern.name.endswith("edit")}


def record_everything(center: Center) -> Recorded:
    patient = PatientFactory(center=center, code="MMN-DATES", notes="before")
    Identity.objects.create(patient=patient, name="A. Patient", date_of_birth=BORN)
    Consent.objects.update_or_create(patient=patient,
                                     defaults={"given_on": CONSENTED, "version": "v2"})
    series = series_give(patient=patient, data={
        "started_on": GIVEN, "days": 5, "dose_g_per_kg": Decimal("2.0"),
        "weight_kg": Decimal("70"), "product": "IVIg"}, lot_numbers=["LOT-A"],
        adverse_events=[{"kind": "headache", "severity": "mild"}])
    visit = services.visit_record(patient=patient, data={
        "visited_on": VISITED, "kind": "post_series", "series": series,
        "examiner": "Dr Before"}, mrc=mrc_grid(4))
    titre = services.titre_record(patient=patient, data={
        "sampled_on": SAMPLED, "antigen": "gm1", "isotype": "IgM", "method": "elisa",
        "value": Decimal("1600"), "unit": "dilution"})
    paraprotein = services.paraprotein_record(patient=patient, data={
        "measured_on": MEASURED, "isotype": "IgM", "light_chain": "kappa",
        "serum_level_g_l": Decimal("4.7")})
    prior = services.prior_treatment_record(patient=patient, data={
        "kind": "steroids", "started_on": STARTED, "ended_on": ENDED, "notes": "before"})
    study = services.nerve_study_record(patient=patient, data={"studied_on": STUDIED}, segments=[{
        "nerve": "median", "side": "R", "distal_amplitude_mv": Decimal("6"),
        "proximal_amplitude_mv": Decimal("2"), "distal_area_mvms": Decimal("18"),
        "proximal_area_mvms": Decimal("6"), "distal_duration_ms": Decimal("5.6"),
        "proximal_duration_ms": Decimal("6.0")}])
    tailoring = tailoring_record(patient=patient, data={
        "kind": "dose_reduction", "started_on": TAILORED, "ended_on": UNTAILORED,
        "notes": "before"})
    return Recorded(patient=patient, ids={
        "series": series.pk, "visit": visit.pk, "titre": titre.pk,
        "paraprotein": paraprotein.pk, "prior_treatment": prior.pk, "nerve_study": study.pk,
        "tailoring": tailoring.pk})


def every_date(patient: Patient) -> dict[str, date | None]:
    """Every date the patient's records hold, keyed ``Model#pk.field``."""
    found: dict[str, date | None] = {}
    for model in MODELS_WITH_DATES:
        names = [f.name for f in model._meta.concrete_fields
                 if f.get_internal_type() == "DateField"]
        for row in model.objects.filter(patient=patient).values("pk", *names):
            for name in names:
                found[f"{model.__name__}#{row['pk']}.{name}"] = row[name]
    return found
