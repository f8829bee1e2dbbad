"""§9 measures through the API (api.md "Additions of 2026-12-01"): the eight visit scales,
the read-only ``scores`` / ``primary_score`` from the rules, and the pinned primary measure."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from catalogues import Measure
from patients.models import Patient, Visit
from registry.tests.api.helpers import AUTH_QUERIES, api
from registry.tests.factories import PatientFactory, SeriesFactory, VisitFactory
from treatments.models import Outcome
from treatments.services import outcome_recompute

pytestmark = pytest.mark.django_db

URL = "/api/v1/visits/"
SCALES = {"incat_arm": 2, "incat_leg": 3, "irods_centile": 41, "irods_raw": 22,
          "grip_right_kpa": 60.5, "grip_left_kpa": 50.0, "onls_arm": 2, "onls_leg": 3}


def cidp_course(center, posts: int = 1) -> Patient:
    """A CIDP patient: baseline INCAT 2+3, I-RODS 41, grip 60.5/50; then post visits one
    INCAT leg grade better and I-RODS +5, each 14 days into its series."""
    patient = PatientFactory(center=center, diagnosis="cidp", code="CIDP-900")
    VisitFactory(patient=patient, visited_on=date(1994, 1, 3), kind="baseline", **SCALES)
    for n in range(1, posts + 1):
        start = date(1994, 1, 10) + timedelta(days=28 * (n - 1))
        series = SeriesFactory(patient=patient, number=n, started_on=start)
        VisitFactory(patient=patient, series=series, kind="post_series",
                     visited_on=start + timedelta(days=14),
                     **{**SCALES, "incat_leg": 2, "irods_centile": 46})
    outcome_recompute(patient_id=patient.pk)
    return patient


def test_the_eight_scales_are_written_and_read(clinician, patient):
    response = api(clinician).post(URL, {"patient": patient.pk, "visited_on": "1994-01-01",
                                         "kind": "baseline", **SCALES}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in SCALES} == SCALES
    visit = Visit.objects.get()
    assert (visit.grip_right_kpa, visit.onls_leg) == (Decimal("60.5"), 3)


@pytest.mark.parametrize(("field", "value"), [
    ("incat_arm", 6), ("incat_leg", -1), ("irods_centile", 101), ("irods_raw", 49),
    ("grip_right_kpa", 300.1), ("grip_left_kpa", -0.5), ("onls_arm", 6), ("onls_leg", 8),
])
def test_a_scale_out_of_range_is_a_400_naming_the_field(clinician, patient, field, value):
    response = api(clinician).post(URL, {"patient": patient.pk, "visited_on": "1994-01-01",
                                         "kind": "baseline", field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Visit.objects.exists()


def test_scores_and_primary_score_come_from_the_rules(clinician, center):
    patient = cidp_course(center)
    rows = api(clinician).get(URL, {"patient": patient.pk}).json()["results"]
    baseline, post = rows
    assert set(baseline["scores"]) == {m.value for m in Measure}
    assert baseline["scores"] | {} == {
        "mrc_targets": None, "mrc_sum": None, "incat": 5, "adjusted_incat": 5, "irods": 41,
        "grip": 55.25, "onls": 5, "prineas": None}
    assert post["scores"]["adjusted_incat"] == 4
    assert (baseline["primary_score"], post["primary_score"]) == (5, 4)  # adjusted_incat
    assert post["score"] is None  # the MRC target sum: no grades


def test_scores_are_null_for_every_measure_until_the_recompute(clinician, patient):
    visit = VisitFactory(patient=patient, incat_arm=1, incat_leg=1)
    body = api(clinician).get(f"{URL}{visit.pk}/").json()
    assert body["scores"] == {m.value: None for m in Measure}
    assert body["primary_score"] is None


@pytest.mark.parametrize("posts", [1, 6])
def test_visit_list_query_count_with_scores(clinician, center, posts,
                                            django_assert_num_queries):
    cidp_course(center, posts)
    client = api(clinician)
    # auth, count, visits with patients and outcomes, MRC grades
    with django_assert_num_queries(AUTH_QUERIES + 3):
        rows = client.get(URL).json()["results"]
    assert len(rows) == posts + 1
    assert all(row["primary_score"] is not None for row in rows)


def test_the_outcome_names_the_primary_measure_and_summarises_every_measure(clinician,
                                                                             center):
    patient = cidp_course(center, posts=3)
    body = api(clinician).get(f"/api/v1/patients/{patient.pk}/outcome/").json()
    assert body["primary_measure"] == "adjusted_incat"
    assert body["initial_response"] == "improved"
    assert body["status"] != "insufficient_data"
    by_code = {m["measure"]: m for m in body["measures"]}
    assert set(by_code) == {"incat", "adjusted_incat", "irods", "grip", "onls"}
    assert by_code["irods"] == {"measure": "irods", "baseline": 41, "latest": 46, "change": 5,
                                "result": "improved", "mcid": 4, "responder": True}
    assert by_code["grip"]["result"] == "stable"


def test_primary_measure_is_writable_validated_and_nullable(clinician, center,
                                                           django_capture_on_commit_callbacks):
    patient = cidp_course(center)
    client = api(clinician)
    detail = f"/api/v1/patients/{patient.pk}/"
    version = client.get(detail).json()["version"]
    assert client.get(detail).json()["primary_measure"] is None
    bad = client.patch(detail, {"primary_measure": "walking", "version": version},
                       format="json")
    assert bad.status_code == 400
    assert "primary_measure" in bad.json()
    with django_capture_on_commit_callbacks(execute=True):  # the recompute follows
        response = client.patch(detail, {"primary_measure": "irods", "version": version},
                                format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["primary_measure"] == "irods"
    outcome = Outcome.objects.get(patient=patient)
    # The pin changes the judgement: the outcome went stale with it (recomputed here).
    assert outcome.result["primary_measure"] == "irods"
    response = client.patch(detail, {"primary_measure": None,
                                     "version": response.json()["version"]}, format="json")
    assert response.status_code == 200
    assert response.json()["primary_measure"] is None
    # (the test's one transaction has this patient's recompute queued already: run it)
    outcome_recompute(patient_id=patient.pk)
    assert Outcome.objects.get(patient=patient).result["primary_measure"] == "adjusted_incat"


def test_pinning_the_primary_measure_marks_the_outcome_stale(center):
    from patients.services import patient_update

    patient = cidp_course(center)
    before = Outcome.objects.get(patient=patient).data_version
    patient_update(patient=patient, version=patient.version, data={"primary_measure": "grip"})
    assert Outcome.objects.get(patient=patient).data_version == before + 1
