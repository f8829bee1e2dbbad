"""The per-centre patient counts PostgreSQL keeps (``CentrePatientCount``, migration
``patients/0009``) and the patient list's count read from them (issue 19)."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.db.models import Count

from patients.models import CentrePatientCount, Consent, Patient
from patients.selectors import patient_counts
from registry.models import Membership, Role
from registry.tests.api.helpers import api
from registry.tests.factories import CenterFactory, PatientFactory, member

URL = "/api/v1/patients/"


def kept() -> dict[int, int]:
    """The counts as kept, without the centres that hold no patient (any more)."""
    return {row.center_id: row.patients for row in CentrePatientCount.objects.all()
            if row.patients}


def counted() -> dict[int, int]:
    return {row["center"]: row["n"]
            for row in Patient.objects.values("center").annotate(n=Count("id"))}


def bare(center, code: str) -> Patient:
    return Patient(center=center, code=code, sex="F", birth_year=1960, diagnosis="mmn")


@pytest.mark.django_db
class TestTheCountsFollowEveryWrite:
    def test_a_patient_created_through_the_orm(self, center, other_center):
        PatientFactory(center=center)
        PatientFactory(center=center)
        PatientFactory(center=other_center)
        assert kept() == counted() == {center.pk: 2, other_center.pk: 1}

    def test_bulk_inserts_and_copy(self, center, other_center):
        Patient.objects.bulk_create([bare(center, f"B-{n}") for n in range(30)]
                                    + [bare(other_center, f"C-{n}") for n in range(7)])
        with connection.cursor() as cursor, cursor.copy(
                "COPY patients_patient (code, center_id, sex, birth_year, diagnosis, notes,"
                " version, created_at, updated_at) FROM STDIN") as copy:
            for n in range(5):
                copy.write_row((f"D-{n}", other_center.pk, "M", 1970, "cidp", "", 1,
                                "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"))
        assert kept() == counted() == {center.pk: 30, other_center.pk: 12}

    def test_a_patient_moved_to_another_centre(self, center, other_center):
        patients = [PatientFactory(center=center) for _ in range(3)]
        patients[0].center = other_center
        patients[0].save()
        Patient.objects.filter(pk=patients[1].pk).update(center=other_center)
        Patient.objects.filter(pk=patients[2].pk).update(notes="moved nowhere")
        assert kept() == counted() == {center.pk: 1, other_center.pk: 2}

    def test_patients_deleted(self, center, other_center):
        Patient.objects.bulk_create([bare(center, f"E-{n}") for n in range(4)]
                                    + [bare(other_center, "F-1")])
        Patient.objects.filter(code__in=["E-0", "E-1", "F-1"]).delete()
        assert kept() == counted() == {center.pk: 2}

    def test_a_rolled_back_write_leaves_them_as_they_were(self, center):
        PatientFactory(center=center)
        with pytest.raises(RuntimeError), transaction.atomic():
            Patient.objects.bulk_create([bare(center, f"G-{n}") for n in range(9)])
            raise RuntimeError("the import fails half-way")
        assert kept() == counted() == {center.pk: 1}


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_patients_of_a_new_centre_are_both_counted():
    """Two transactions writing the first patients of a centre at once: the second upsert
    waits for the first's row and adds to it (no lost update, no duplicate-key error)."""
    centre = CenterFactory(code="fresh")
    started = threading.Barrier(2)
    errors: list[BaseException] = []

    def write(code: str) -> None:
        try:
            with transaction.atomic():
                started.wait(timeout=10)
                bare(centre, code).save()
        except BaseException as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(code,)) for code in ("H-1", "H-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert kept() == counted() == {centre.pk: 2}


@pytest.mark.django_db
class TestTheListReadsThem:
    def test_the_unfiltered_list_counts_from_the_kept_counts(self, clinician, center,
                                                             other_center):
        for _ in range(3):
            PatientFactory(center=center)
        PatientFactory(center=other_center)
        assert api(clinician).get(URL).json()["count"] == 3
        # Shown as kept: the list does not count the rows when it has no filter.
        CentrePatientCount.objects.filter(center=center).update(patients=70)
        client = api(clinician)
        assert client.get(URL).json()["count"] == 70
        assert client.get(URL, {"ordering": "-code", "page_size": 2}).json()["count"] == 70
        # A filter counts the rows it keeps.
        assert client.get(URL, {"diagnosis": "mmn"}).json()["count"] == 3

    def test_every_centre_for_a_superuser(self, superuser, center, other_center):
        PatientFactory(center=center)
        PatientFactory(center=other_center)
        assert api(superuser).get(URL).json()["count"] == 2

    def test_a_researcher_counts_the_consented_patients(self, center):
        consented, _ = PatientFactory(center=center), PatientFactory(center=center)
        Consent.objects.exclude(patient=consented).delete()
        researcher = member(center=center, role=Role.RESEARCHER)
        body = api(researcher).get(URL).json()
        assert body["count"] == 1
        assert [row["id"] for row in body["results"]] == [consented.pk]

    def test_a_clinician_here_and_researcher_there(self, center, other_center):
        user = member(center=center)
        Membership.objects.create(user=user, center=other_center, role=Role.RESEARCHER)
        PatientFactory(center=center)
        PatientFactory(center=other_center, consent=None)
        assert api(user).get(URL).json()["count"] == 1

    def test_a_page_past_the_last_is_still_404(self, clinician, center):
        PatientFactory(center=center)
        assert api(clinician).get(URL, {"page": 2}).status_code == 404

    def test_no_counts_are_read_without_postgresql(self, monkeypatch, center):
        monkeypatch.setattr(connection, "vendor", "sqlite")
        assert patient_counts([center.pk]) is None
