from datetime import date, timedelta

import pytest

import catalogues as cat
from patients.models import MrcGrade, Visit
from registry.tests.api.helpers import AUTH_QUERIES, api
from registry.tests.factories import MrcGradeFactory, SeriesFactory, VisitFactory
from treatments.models import Outcome

URL = "/api/v1/visits/"
GRID = [{"muscle": "deltoid", "side": "R", "grade": 4},
        {"muscle": "deltoid", "side": "L", "grade": 5}]
NEW = {"visited_on": "1994-01-01", "kind": "baseline", "series": None, "examiner": "Dr A",
       "mrc": GRID, "functional_score": 2, "prineas_score": 3, "notes": ""}

pytestmark = pytest.mark.django_db


def test_anonymous_gets_401():
    assert api().get(URL).status_code == 401


def test_create_with_mrc_grid(clinician, patient):
    response = api(clinician).post(URL, {**NEW, "patient": patient.pk}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["mrc"] == GRID
    assert Visit.objects.get().recorded_by == clinician


def test_bad_grade_names_its_index(clinician, patient):
    grid = [GRID[0], {"muscle": "deltoid", "side": "L", "grade": 7}]
    response = api(clinician).post(URL, {**NEW, "patient": patient.pk, "mrc": grid},
                                   format="json")
    assert response.status_code == 400
    assert "grade" in response.json()["mrc"]["1"]
    assert not Visit.objects.exists()


def test_post_series_visit_needs_its_series(clinician, patient):
    response = api(clinician).post(URL, {**NEW, "patient": patient.pk, "kind": "post_series"},
                                   format="json")
    assert response.status_code == 400
    assert not Visit.objects.exists()


def test_series_of_another_patient_is_refused(clinician, patient, center):
    other = SeriesFactory(patient__center=center, number=1)
    response = api(clinician).post(URL, {**NEW, "patient": patient.pk, "kind": "post_series",
                                         "series": other.pk}, format="json")
    assert response.status_code == 400
    assert "series" in response.json()


def test_score_comes_from_the_stored_outcome(clinician, patient):
    visit = VisitFactory(patient=patient)
    Outcome.objects.filter(patient=patient).update(
        result={"visits": [{"id": visit.pk, "score": 17}]}
    )
    assert api(clinician).get(f"{URL}{visit.pk}/").json()["score"] == 17


def test_update_replaces_grid_and_checks_version(clinician, patient):
    visit = VisitFactory(patient=patient)
    MrcGradeFactory(visit=visit)
    client = api(clinician)
    response = client.patch(f"{URL}{visit.pk}/", {"mrc": GRID[1:], "version": 1},
                            format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["mrc"] == GRID[1:]
    assert client.patch(f"{URL}{visit.pk}/", {"mrc": [], "version": 1},
                        format="json").status_code == 409
    assert MrcGrade.objects.filter(visit=visit).count() == 1


def test_delete(clinician, patient):
    visit = VisitFactory(patient=patient)
    MrcGradeFactory(visit=visit)
    assert api(clinician).delete(f"{URL}{visit.pk}/").status_code == 204
    assert not Visit.objects.exists()


def test_other_centre_is_404(clinician, other_patient):
    visit = VisitFactory(patient=other_patient)
    assert api(clinician).get(f"{URL}{visit.pk}/").status_code == 404
    assert api(clinician).patch(f"{URL}{visit.pk}/", {"version": 1},
                                format="json").status_code == 404


def test_date_filters(clinician, patient):
    VisitFactory(patient=patient, visited_on=date(1994, 1, 1))
    VisitFactory(patient=patient, visited_on=date(1996, 1, 1), kind="follow_up")
    body = api(clinician).get(URL, {"visited_after": "1995-01-01",
                                    "visited_before": "1997-01-01"}).json()
    assert [row["visited_on"] for row in body["results"]] == ["1996-01-01"]
    assert api(clinician).get(URL, {"kind": "follow_up"}).json()["count"] == 1
    body = api(clinician).get(URL, {"visited_on": "1994-01-01"}).json()
    assert [row["visited_on"] for row in body["results"]] == ["1994-01-01"]


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count(clinician, patient, rows, django_assert_num_queries):
    for day in range(rows):  # one visit a day: a patient has one visit per date and kind
        MrcGradeFactory(visit__patient=patient,
                        visit__visited_on=date(1994, 1, 1) + timedelta(days=day))
    client = api(clinician)
    # auth, count, visits with patients and outcomes, MRC grades
    with django_assert_num_queries(AUTH_QUERIES + 3):
        assert len(client.get(URL).json()["results"]) == rows


@pytest.mark.parametrize("rows", [1, 30])  # grades: one, or every muscle on both sides
def test_detail_query_count(clinician, patient, rows, django_assert_num_queries):
    visit = VisitFactory(patient=patient)
    muscle_sides = [(m, s) for m in cat.codes(cat.MUSCLES) for s in ("R", "L")][:rows]
    for muscle, side in muscle_sides:
        MrcGradeFactory(visit=visit, muscle=muscle, side=side)
    client = api(clinician)
    # auth, visit with patient and outcome, MRC grades
    with django_assert_num_queries(AUTH_QUERIES + 2):
        assert len(client.get(f"{URL}{visit.pk}/").json()["mrc"]) == rows



@pytest.mark.parametrize("muscles", ["deltoid", "biceps triceps wrist_extensors deltoid "
                                     "finger_extensors finger_flexors iliopsoas quadriceps "
                                     "hamstrings tibialis_anterior"])
def test_create_query_count_does_not_grow_with_the_grid(
    clinician, patient, muscles, django_assert_num_queries
):
    grid = [{"muscle": m, "side": side, "grade": 4} for m in muscles.split() for side in "RL"]
    client = api(clinician)
    # auth, the patient field; the service's transaction (a savepoint and its release
    # inside the test's transaction): the patient's series dates (clinical-rules.md §1
    # date check), patient and user exist, the visit's 6 CHECK
    # constraints (savepoint, check, release each: kind, functional, Prineas, the eight §9
    # scales' ranges in one CHECK (clinical-rules.md §9), a signature names its signer
    # and its moment (§11), the series link), its (patient, date, kind) not taken
    # yet (the unique constraint), insert visit and its history row (in
    # a savepoint), old grid, insert grid and its history (in a savepoint), outcome stale
    # mark; then the stored visit with its outcome, and its grid. The grid's rows are
    # validated in Python (no query per row); the database enforces their constraints.
    with django_assert_num_queries(AUTH_QUERIES + 1 + 2 + 1 + 2 + 18 + 1 + 4 + 1 + 4 + 1 + 2):
        response = client.post(URL, {**NEW, "patient": patient.pk, "mrc": grid},
                               format="json")
    assert response.status_code == 201, response.json()
    assert len(response.json()["mrc"]) == len(grid)


def test_a_repeated_date_and_kind_is_a_400_naming_visited_on(clinician, patient):
    client = api(clinician)
    assert client.post(URL, {**NEW, "patient": patient.pk}, format="json").status_code == 201
    response = client.post(URL, {**NEW, "patient": patient.pk, "examiner": "Dr B"},
                           format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["visited_on"]
    assert "already has a visit of kind" in response.json()["visited_on"][0]
    assert Visit.objects.get().examiner == "Dr A"
    assert MrcGrade.objects.count() == len(GRID)
