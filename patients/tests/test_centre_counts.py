"""The per-centre patient counts PostgreSQL keeps (``CentrePatientCount``, migration
``patients/0009``) and the patient list's count read from them (issue 19)."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.db.models import Count, Sum

from patients.models import CentrePatientCount, Consent, Patient
from patients.selectors import patient_counts
from patients.services import patient_counts_compact
from patients.tasks import patient_counts_compact_task
from registry.models import Membership, Role
from registry.tests.api.helpers import api
from registry.tests.factories import CenterFactory, PatientFactory, member

URL = "/api/v1/patients/"


def kept() -> dict[int, int]:
    """The counts as kept (each centre's rows summed), without the centres that hold no
    patient (any more)."""
    rows = CentrePatientCount.objects.values("center").annotate(n=Sum("patients"))
    return {row["center"]: row["n"] for row in rows if row["n"]}


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


def in_another_transaction(work, *, release: threading.Event, ready: threading.Event,
                           errors: list) -> threading.Thread:
    """``work()`` in a transaction of another thread, held open until ``release``."""
    def run() -> None:
        try:
            with transaction.atomic():
                work()
                ready.set()
                release.wait(timeout=30)
        except BaseException as error:  # noqa: BLE001 — reported by the test
            errors.append(error)
            ready.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_running_import_makes_no_other_writer_of_its_centre_wait():
    """A transaction that has written patients and not committed (an all-or-nothing
    import) holds no lock another patient creation in the same centre needs: the counts
    are rows added, never a row updated in place."""
    centre = CenterFactory(code="busy")
    release, ready, errors = threading.Event(), threading.Event(), []
    importer = in_another_transaction(
        lambda: Patient.objects.bulk_create([bare(centre, f"I-{n}") for n in range(50)]),
        release=release, ready=ready, errors=errors)
    try:
        assert ready.wait(timeout=30)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
            bare(centre, "CLINIC-1").save()
            assert patient_counts_compact() >= 1  # folds what is committed, waits for none
    finally:
        release.set()
        importer.join(timeout=30)
    assert errors == []
    assert kept() == counted() == {centre.pk: 51}


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_are_all_counted():
    centre = CenterFactory(code="fresh")
    started = threading.Barrier(4)
    errors: list[BaseException] = []

    def write(code: str) -> None:
        try:
            with transaction.atomic():
                started.wait(timeout=10)
                bare(centre, code).save()
                if code == "H-1":
                    patient_counts_compact()
        except BaseException as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(f"H-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert kept() == counted() == {centre.pk: 4}


@pytest.mark.django_db
class TestCompaction:
    def test_each_centre_folded_into_one_row(self, center, other_center):
        for n in range(5):
            bare(center, f"K-{n}").save()
        bare(other_center, "L-1").save()
        Patient.objects.filter(code="L-1").delete()
        before = kept()
        assert CentrePatientCount.objects.count() == 7  # five saves, a save, a delete
        assert patient_counts_compact_task() == 7
        assert kept() == before == counted() == {center.pk: 5}
        assert list(CentrePatientCount.objects.values_list("center", "patients")) == [
            (center.pk, 5)]  # a centre that holds none is dropped
        assert patient_counts_compact() == 1  # again: nothing left to fold

    def test_hourly(self, settings):
        task = settings.CELERY_BEAT_SCHEDULE["compact-patient-counts"]
        assert task == {"task": "patients.tasks.patient_counts_compact_task",
                        "schedule": 3600.0}
        from registry.celery import app
        assert task["task"] in app.tasks


@pytest.mark.django_db
class TestTheListReadsThem:
    def test_the_unfiltered_list_counts_from_the_kept_counts(self, clinician, center,
                                                             other_center):
        for _ in range(3):
            PatientFactory(center=center)
        PatientFactory(center=other_center)
        assert api(clinician).get(URL).json()["count"] == 3
        # Shown as kept: the list does not count the rows when it has no filter.
        CentrePatientCount.objects.create(center=center, patients=67)
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

    def test_no_counts_are_read_or_folded_without_postgresql(self, monkeypatch, center):
        monkeypatch.setattr(connection, "vendor", "sqlite")
        assert patient_counts([center.pk]) is None
        assert patient_counts_compact() == 0
