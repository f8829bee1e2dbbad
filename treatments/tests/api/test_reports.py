import pytest

from registry.tests.api.helpers import AUTH_QUERIES, api
from registry.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_table1_json(clinician, patient, other_patient):
    response = api(clinician).get("/api/v1/reports/table1/")
    assert response.status_code == 200
    body = response.json()
    assert [row["case"] for row in body["rows"]] == ["MMN-900"]


def test_table1_csv(clinician, patient):
    response = api(clinician).get("/api/v1/reports/table1/", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert b"MMN-900" in response.content


def test_table2_filters(clinician, center):
    PatientFactory(center=center, code="IGM-1", diagnosis="igm_mgus_pn")
    body = api(clinician).get("/api/v1/reports/table2/", {"center": "north"}).json()
    assert "IGM-1" in str(body)
    body = api(clinician).get("/api/v1/reports/table2/", {"center": "south"}).json()
    assert "IGM-1" not in str(body)
    response = api(clinician).get("/api/v1/reports/table2/", {"format": "csv"})
    assert response.status_code == 200


def test_unknown_diagnosis_is_a_400(clinician):
    response = api(clinician).get("/api/v1/reports/table1/", {"diagnosis": "flu"})
    assert response.status_code == 400
    assert "diagnosis" in response.json()


def test_anonymous_gets_401():
    assert api().get("/api/v1/reports/table1/").status_code == 401


@pytest.mark.parametrize("rows", [1, 50])
def test_table1_query_count(clinician, center, rows, django_assert_num_queries):
    for _ in range(rows):
        PatientFactory(center=center)
    client = api(clinician)
    # auth, the cohort with its outcome keys, then by the cohort's ids: affected nerves,
    # series per patient
    with django_assert_num_queries(AUTH_QUERIES + 3):
        assert len(client.get("/api/v1/reports/table1/").json()["rows"]) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_table2_query_count(clinician, center, rows, django_assert_num_queries):
    for _ in range(rows):
        PatientFactory(center=center, diagnosis="igm_mgus_pn")
    client = api(clinician)
    # auth, the cohort with its outcome keys and stopping adverse events, then by the
    # cohort's ids: prior treatments, IgM paraproteins, series per patient
    with django_assert_num_queries(AUTH_QUERIES + 4):
        assert client.get("/api/v1/reports/table2/").status_code == 200


def test_table1_blocks_follow_the_outcome_and_criteria_judges_them_for_one_answer(superuser):
    """clinical-rules.md §4: criteria sets are chosen per report (``?criteria=``); without
    it Table 1 reads each stored outcome's blocks, with it the same rule under that set,
    as the outcome's own ``?criteria=`` answers."""
    from patients.demo.load import load_demo
    from treatments.services import outcome_recompute_many

    _, patients = load_demo()
    outcome_recompute_many(patient_ids=[p.pk for p in patients])
    client = api(superuser)
    for criteria in (None, "efns-pns-2010", "seed-1"):
        query = {"criteria": criteria} if criteria else {}
        report = client.get("/api/v1/reports/table1/", query).json()
        assert report["criteria"] == criteria
        assert report["rows"]
        for row in report["rows"]:
            outcome = client.get(f"/api/v1/patients/{row['patient']}/outcome/", query).json()
            blocks = outcome["conduction_blocks"]
            assert (row["conduction_blocks_first"], row["conduction_blocks_latest"]) == (
                blocks["first_study"], blocks["latest_study"]), (criteria, row["case"])
        csv = client.get("/api/v1/reports/table1/", {**query, "format": "csv"}).content.decode()
        assert "conduction_blocks_first" in csv.splitlines()[0]


def test_an_unknown_criteria_set_is_a_400_naming_it(clinician):
    response = api(clinician).get("/api/v1/reports/table1/", {"criteria": "nope"})
    assert response.status_code == 400 and "criteria" in response.json()
    assert api(clinician).get("/api/v1/reports/table2/",
                              {"criteria": "seed-1"}).status_code == 200
