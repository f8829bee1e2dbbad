"""factory_boy factories shared by every app's tests (records go through the models,
not the services, so tests can build any state; services are tested on their own)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import User

from patients.models import Consent, MrcGrade, Patient, Titre, Visit
from registry.models import Center, Role
from treatments.models import Outcome, Series
from treatments.rules.course import course_total_grams, prescribed_grams
from treatments.rules.defaults import SEED_1


class CenterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Center
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"c{n}")
    name = factory.LazyAttribute(lambda o: f"Centre {o.code}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


def member(*, center: Center, role: str = Role.CLINICIAN, **fields) -> User:
    """A user with ``role`` in ``center``, in the role's group (as ``grant`` would do)."""
    from registry.services import membership_grant

    user = UserFactory(**fields)
    membership_grant(user=user, center=center, role=role)
    return user


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"T-{n:04d}")
    center = factory.SubFactory(CenterFactory)
    sex = "M"
    birth_year = 1960
    diagnosis = "mmn"
    onset_year = 1990
    outcome = factory.RelatedFactory(
        "registry.tests.factories.OutcomeFactory", factory_related_name="patient"
    )
    # A recorded consent, as most patients have: without one a patient is in no report or
    # export (clinical-rules.md §8). ``PatientFactory(consent=None)`` makes one without.
    consent = factory.RelatedFactory(
        "registry.tests.factories.ConsentFactory", factory_related_name="patient"
    )


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    given_on = date(1990, 1, 1)
    version = "1.0"


class OutcomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outcome

    data_version = 1
    computed_data_version = 0


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Series

    patient = factory.SubFactory(PatientFactory)
    number = factory.Sequence(lambda n: n + 1)
    started_on = date(1994, 1, 10)
    days = 5
    dose_g_per_kg = Decimal("2.0")
    weight_kg = Decimal("70.0")
    product = "IVIg"
    route = "iv"
    # The dosing values the service stores (actual weight, 5 g steps: clinical-rules.md §10).
    dosing_weight_kg = factory.SelfAttribute("weight_kg")
    total_grams = factory.LazyAttribute(lambda s: course_total_grams(
        dose_g_per_kg=s.dose_g_per_kg, dosing_weight_kg=s.weight_kg))
    prescribed_grams = factory.LazyAttribute(lambda s: prescribed_grams(
        dose_g_per_kg=s.dose_g_per_kg, dosing_weight_kg=s.weight_kg, route=s.route,
        rules=SEED_1))
    dosing_rules_version = "seed-1"


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    patient = factory.SubFactory(PatientFactory)
    visited_on = date(1994, 1, 1)
    kind = "baseline"


class MrcGradeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MrcGrade

    visit = factory.SubFactory(VisitFactory)
    muscle = "deltoid"
    side = "R"
    grade = 4


class TitreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Titre

    patient = factory.SubFactory(PatientFactory)
    sampled_on = date(1994, 1, 1)
    antigen = "gm1"
    isotype = "IgM"
    method = "elisa"
    value = Decimal("3200")
    unit = "dilution"


GRID_MUSCLES = ("deltoid", "biceps", "triceps", "wrist_extensors", "finger_extensors")


def mrc_grid(grade: int) -> list[dict]:
    return [{"muscle": muscle, "side": "R", "grade": grade} for muscle in GRID_MUSCLES]


def clinical_history(patient: Patient, series_count: int) -> None:
    """A baseline, then per series a post-series visit, a titre and a nerve study, written
    through the services (stale marks and history included)."""
    from patients import services
    from treatments.services import series_give

    start = date(1994, 1, 10)
    services.visit_record(patient=patient, data={
        "visited_on": start - timedelta(days=7), "kind": "baseline"}, mrc=mrc_grid(2))
    for n in range(1, series_count + 1):
        on = start + timedelta(days=28 * (n - 1))
        series = series_give(patient=patient, data={
            "started_on": on, "days": 5, "dose_g_per_kg": Decimal("2.0"),
            "weight_kg": Decimal("70"), "product": "IVIg"}, lot_numbers=[f"L{n}", f"M{n}"],
            adverse_events=[{"kind": "headache", "severity": "mild"}] if n == 1 else [])
        services.visit_record(patient=patient, data={
            "visited_on": on + timedelta(days=14), "kind": "post_series", "series": series},
            mrc=mrc_grid(min(5, 2 + n)))
        services.titre_record(patient=patient, data={
            "sampled_on": on, "antigen": "gm1", "isotype": "IgM", "method": "elisa",
            "value": Decimal("1600"), "unit": "dilution"})
        services.nerve_study_record(patient=patient, data={"studied_on": on}, segments=[{
            "nerve": "median", "side": "R", "distal_amplitude_mv": Decimal("6"),
            "proximal_amplitude_mv": Decimal("2"), "distal_area_mvms": Decimal("18"),
            "proximal_area_mvms": Decimal("6"), "distal_duration_ms": Decimal("5.6"),
            "proximal_duration_ms": Decimal("6.0")}])
    services.paraprotein_record(patient=patient, data={
        "measured_on": start, "isotype": "IgM", "light_chain": "kappa",
        "serum_level_g_l": Decimal("4.7")})
    services.prior_treatment_record(patient=patient, data={"kind": "steroids"})
