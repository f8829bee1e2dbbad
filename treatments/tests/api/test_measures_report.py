"""``reports/measures/`` (clinical-rules.md §9, api.md): per diagnosis and measure, patients
with a baseline and a later value, responders x/n, deteriorated y/n, from stored outcomes;
research consent as the other research reports (§8)."""

from datetime import date

import pytest
from django.urls import reverse

from patients.models import Consent
from registry.tests.api.helpers import AUTH_QUERIES, api
from registry.tests.factories import PatientFactory
from treatments.models import Outcome
from treatments.rules.reports import measures_table

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/measures/"


def measured(center, code, diagnosis, measures, **kwargs):
    patient = PatientFactory(center=center, code=code, diagnosis=diagnosis, **kwargs)
    result = {"measures": measures, "primary_measure": "adjusted_incat"}
    Outcome.objects.filter(patient=patient).update(result=result,
                                                   summary=Outcome.summary_of(result))
    return patient


def item(measure, change, result, responder):
    return {"measure": measure, "baseline": 5, "latest": 5, "change": change,
            "result": result, "mcid": 1, "responder": responder}


@pytest.fixture
def cohort(center):
    measured(center, "CIDP-1", "cidp", [item("adjusted_incat", -2, "improved", True),
                                        item("irods", 3, "stable", False)])
    measured(center, "CIDP-2", "cidp", [item("adjusted_incat", 1, "deteriorated", False),
                                        item("irods", None, None, False)])  # baseline only
    measured(center, "CIDP-3", "cidp", [item("adjusted_incat", 0, "stable", False)])
    measured(center, "IGM-1", "igm_mgus_pn", [item("prineas", -1, "improved", True)])


def test_responders_and_deteriorated_per_diagnosis_and_measure(clinician, cohort):
    body = api(clinician).get(URL).json()
    assert body["table"] == "measures"
    rows = {(r["diagnosis"], r["measure"]): r for r in body["rows"]}
    assert rows[("cidp", "adjusted_incat")] | {} == {
        "diagnosis": "cidp", "measure": "adjusted_incat", "patients": 3, "responders": 1,
        "deteriorated": 1, "responders_label": "1/3", "deteriorated_label": "1/3"}
    assert rows[("cidp", "irods")]["patients"] == 1  # a baseline alone is not counted
    assert rows[("igm_mgus_pn", "prineas")]["responders_label"] == "1/1"


def test_diagnosis_and_centre_filters(clinician, cohort):
    body = api(clinician).get(URL, {"diagnosis": "igm_mgus_pn"}).json()
    assert [(r["diagnosis"], r["measure"]) for r in body["rows"]] == [
        ("igm_mgus_pn", "prineas")]
    assert api(clinician).get(URL, {"center": "south"}).json()["rows"] == []
    assert api(clinician).get(URL, {"diagnosis": "flu"}).status_code == 400


def test_a_withdrawn_or_unrecorded_consent_is_left_out(clinician, center, cohort):
    Consent.objects.filter(patient__code="CIDP-1").update(withdrawn_on=date(2020, 1, 1))
    measured(center, "CIDP-4", "cidp", [item("adjusted_incat", -3, "improved", True)],
             consent=None)
    rows = {(r["diagnosis"], r["measure"]): r for r in api(clinician).get(URL).json()["rows"]}
    assert rows[("cidp", "adjusted_incat")]["responders_label"] == "0/2"


def test_csv(clinician, cohort):
    response = api(clinician).get(URL, {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == ("diagnosis,measure,patients,responders,deteriorated,"
                        "responders_label,deteriorated_label")
    assert "cidp,adjusted_incat,3,1,1,1/3,1/3" in lines


@pytest.mark.parametrize("rows", [1, 40])
def test_query_count(clinician, center, rows, django_assert_num_queries):
    for n in range(rows):
        measured(center, f"CIDP-{n}", "cidp", [item("incat", -1, "improved", True)])
    client = api(clinician)
    # auth, the cohort with its outcomes' measures
    with django_assert_num_queries(AUTH_QUERIES + 1):
        body = client.get(URL).json()
    assert body["rows"][0]["patients"] == rows


def test_the_reports_page_has_the_measures_section_and_its_csv(client, clinician, cohort):
    client.force_login(clinician)
    page = client.get(reverse("treatments:reports")).content.decode()
    assert 'id="measures"' in page
    assert "Adjusted INCAT" in page and "1/3" in page
    csv = client.get(reverse("treatments:report_csv", args=["measures"]))
    assert csv.status_code == 200
    assert b"cidp,adjusted_incat,3,1,1,1/3,1/3" in csv.content


def test_the_pure_count_ignores_a_measure_without_change():
    report = measures_table([("cidp", [item("grip", None, None, False)])])
    assert report["rows"] == []


def test_counted_in_the_database_as_the_rule_counts_each_patients_items(clinician, center):
    """The report counts identical items in the database; the rule over every patient's
    stored list, read whole, gives the same table (odd items included)."""
    odd = [
        item("adjusted_incat", -2, "improved", True),
        item("adjusted_incat", -2, "improved", True),  # the same measure twice
        {"measure": "irods", "change": 4, "result": "improved"},  # no responder key
        {"measure": "irods", "result": "deteriorated", "responder": 1},  # no change key
        item("irods", None, "deteriorated", True),  # a baseline alone
        item("prineas", 0.5, "deteriorated", None),
        item("incat", 2, "deteriorated", 0),
    ]
    for n, measures in enumerate([odd, odd[:3], odd[3:], [], None]):
        measured(center, f"ODD-{n}", ("cidp", "mmn")[n % 2], measures)
    measured(center, "STALE", "cidp", [])
    Outcome.objects.filter(patient__code="STALE").update(result={}, summary={})
    expected = measures_table([
        (o.patient.diagnosis, (o.summary or {}).get("measures") or [])
        for o in Outcome.objects.select_related("patient").order_by("patient__code")])
    assert expected["rows"]
    assert api(clinician).get(URL).json() == expected
