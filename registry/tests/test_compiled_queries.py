"""``registry.db.compiled.rows_by_pk``: a scoped lookup compiled once per scope, with the
ORM's rows (issue 19), and ``registry.scoping.patient_scope_key``, the scope it is keyed by."""

import itertools
import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from patients.models import Consent, Patient
from registry.db import compiled
from registry.db.compiled import rows_by_pk
from registry.models import Membership, Role
from registry.scoping import (
    load_memberships,
    patient_scope_key,
    scope_patients,
    scope_research_consent,
)
from registry.tests.api.helpers import api
from registry.tests.factories import CenterFactory, PatientFactory, UserFactory, member
from treatments.models import Outcome

COLUMNS = ("pk", "code", "outcome__result", "outcome__computed_at", "consent__given_on")


@pytest.fixture(autouse=True)
def _empty_cache():
    compiled._local.__dict__.clear()
    yield
    compiled._local.__dict__.clear()


def scoped(user):
    return scope_research_consent(scope_patients(Patient.objects.all(), user), user)


def counting_build(user, builds: list):
    def build():
        builds.append(1)
        return scoped(user).values(*COLUMNS)
    return build


@pytest.mark.django_db
class TestRowsByPk:
    def test_the_rows_are_the_orms(self, clinician, center):
        patient = PatientFactory(center=center, code="MMN-1")
        Outcome.objects.filter(patient=patient).update(
            result={"grade": "good", "n_star": 2, "nested": [1.5, None]},
            computed_at=timezone.now())
        build = counting_build(clinician, [])
        for pk in (patient.pk, str(patient.pk)):
            assert rows_by_pk(build, key="k", pk=pk) == list(
                scoped(clinician).values(*COLUMNS).filter(pk=patient.pk))
        row = rows_by_pk(build, key="k", pk=patient.pk)[0]
        assert row["outcome__result"]["nested"] == [1.5, None]  # decoded, as the ORM does
        assert row["consent__given_on"] == patient.consent.given_on  # a date, not text

    def test_compiled_once_per_key(self, clinician, center):
        patients = [PatientFactory(center=center) for _ in range(3)]
        builds: list = []
        build = counting_build(clinician, builds)
        for patient in patients * 2:
            assert [row["pk"] for row in rows_by_pk(build, key="k", pk=patient.pk)] == [
                patient.pk]
        assert len(builds) == 1
        rows_by_pk(build, key="other", pk=patients[0].pk)
        assert len(builds) == 2

    @pytest.mark.parametrize("pk", ["abc", "1.5", "", None, 2**63, -(2**63) - 1,
                                    compiled.STAND_IN])
    def test_what_is_no_key_finds_no_row(self, clinician, center, pk):
        PatientFactory(center=center)
        assert rows_by_pk(counting_build(clinician, []), key="k", pk=pk) == []

    def test_a_user_of_no_centre_finds_nothing(self, patient):
        user = UserFactory()
        builds: list = []
        assert rows_by_pk(counting_build(user, builds), key="none", pk=patient.pk) == []
        assert rows_by_pk(counting_build(user, builds), key="none", pk=patient.pk) == []
        assert len(builds) == 1

    def test_the_cache_keeps_the_most_recent(self, clinician, patient, monkeypatch):
        monkeypatch.setattr(compiled, "SIZE", 2)
        builds: list = []
        build = counting_build(clinician, builds)
        for key in ("a", "b", "a", "c", "a", "b"):
            rows_by_pk(build, key=key, pk=patient.pk)
        assert len(builds) == 4  # a, b, c, then b again (dropped when c came)

    def test_each_thread_compiles_its_own(self, clinician, patient):
        builds: list = []
        build = counting_build(clinician, builds)
        rows_by_pk(build, key="k", pk=patient.pk)
        found = []
        thread = threading.Thread(target=lambda: found.append(
            compiled._cache().get("k")))
        thread.start()
        thread.join()
        assert found == [None]


def _user_with(roles: tuple, centres) -> object:
    user = UserFactory()
    for role, centre in zip(roles, centres, strict=True):
        if role:
            Membership.objects.create(user=user, center=centre, role=role)
    load_memberships(user)
    return user


@pytest.mark.django_db
def test_equal_scope_keys_are_equal_filters():
    """Over every role (or none) in each of two centres, and a superuser: two users with
    the same key have the same scoped query, SQL and parameters alike, and users whose
    queries differ are told apart (nine centre states and the superuser's)."""
    centres = [CenterFactory(code="kone"), CenterFactory(code="ktwo")]
    roles = (None, Role.CLINICIAN, Role.DATA_MANAGER, Role.RESEARCHER)
    users = [_user_with(combination, centres)
             for combination in itertools.product(roles, repeat=2)]
    users += [UserFactory(is_superuser=True), AnonymousUser()]
    by_key: dict = {}
    for user in users:
        try:
            sql = scoped(user).values("pk").query.sql_with_params()
        except Exception as error:  # noqa: BLE001 — no centre: the ORM compiles nothing
            sql = type(error).__name__
        key = patient_scope_key(user)
        by_key.setdefault(key, set()).add(str(sql))
    assert all(len(sqls) == 1 for sqls in by_key.values())
    assert len(by_key) == 10


@pytest.mark.django_db
class TestTheOutcomeEndpoint:
    def test_another_centres_user_after_the_query_was_compiled(self, clinician, patient,
                                                               other_centre_clinician):
        url = f"/api/v1/patients/{patient.pk}/outcome/"
        assert api(clinician).get(url).status_code == 200
        response = api(other_centre_clinician).get(url)
        assert response.status_code == 404
        assert response.json()["detail"] == "No Patient matches the given query."

    def test_a_withdrawn_consent_hides_it_from_a_researcher_at_once(self, center, patient):
        researcher = member(center=center, role=Role.RESEARCHER)
        url = f"/api/v1/patients/{patient.pk}/outcome/"
        client = api(researcher)
        assert client.get(url).status_code == 200
        Consent.objects.filter(patient=patient).update(withdrawn_on=timezone.localdate())
        assert client.get(url).status_code == 404

    @pytest.mark.parametrize("pk", ["abc", "99999999999999999999", "0"])
    def test_no_such_patient_is_404(self, clinician, patient, pk):
        assert api(clinician).get(f"/api/v1/patients/{pk}/outcome/").status_code == 404
