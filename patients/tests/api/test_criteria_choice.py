"""``?criteria=<code>`` (clinical-rules.md §4, api.md): the conduction blocks judged under
another criteria set for one answer, on the outcome and the nerve studies; never stored;
an unknown set is a 400 naming ``criteria``."""

from __future__ import annotations

import pytest

from registry.tests.api.helpers import AUTH_QUERIES, api
from registry.tests.factories import clinical_history
from treatments.models import Outcome
from treatments.services import outcome_recompute

pytestmark = pytest.mark.django_db


@pytest.fixture
def studied(patient):
    """Two studies of a right median segment: 67 % amplitude and area drop, +7 % duration,
    a partial block under seed-1 and a definite one under efns-pns-2010 (LLN 4 mV)."""
    clinical_history(patient, 2)
    outcome_recompute(patient_id=patient.pk)
    return patient


def test_the_outcome_under_another_criteria_set_is_for_this_answer_only(clinician, studied):
    url = f"/api/v1/patients/{studied.pk}/outcome/"
    stored = api(clinician).get(url).json()
    assert (stored["criteria"], stored["conduction_blocks"]["criteria"]) == ("seed-1", "seed-1")
    assert {s["latest"] for s in stored["conduction_blocks"]["segments"]} == {"partial_block"}
    efns = api(clinician).get(url, {"criteria": "efns-pns-2010"}).json()
    blocks = efns["conduction_blocks"]
    assert (efns["criteria"], blocks["criteria"]) == ("efns-pns-2010", "efns-pns-2010")
    assert [(s["first"], s["latest"], s["state"]) for s in blocks["segments"]] == [
        ("definite_block", "definite_block", "persisting")]
    assert (blocks["first_study"], blocks["latest_study"]) == (1, 1)
    assert efns["status"] == stored["status"] and efns["stale"] is False
    outcome = Outcome.objects.get(patient=studied)
    assert outcome.criteria == "seed-1"
    assert outcome.result["conduction_blocks"]["criteria"] == "seed-1"


def test_the_outcome_answers_the_versions_it_was_computed_with(clinician, studied):
    body = api(clinician).get(f"/api/v1/patients/{studied.pk}/outcome/").json()
    outcome = Outcome.objects.get(patient=studied)
    assert body["rules_version"] == "seed-2"
    assert body["thresholds_revision"] == outcome.thresholds_revision is not None
    assert body["criteria"] == "seed-1"


def test_nerve_study_blocks_under_another_criteria_set(clinician, studied):
    default = api(clinician).get("/api/v1/nerve-studies/", {"patient": studied.pk}).json()
    assert {s["block"] for r in default["results"] for s in r["segments"]} == {"partial_block"}
    efns = api(clinician).get("/api/v1/nerve-studies/", {"patient": studied.pk,
                                                          "criteria": "efns-pns-2010"}).json()
    assert {s["block"] for r in efns["results"] for s in r["segments"]} == {"definite_block"}
    study = efns["results"][0]["id"]
    one = api(clinician).get(f"/api/v1/nerve-studies/{study}/",
                             {"criteria": "efns-pns-2010"}).json()
    assert one["segments"][0]["block"] == "definite_block"


@pytest.mark.parametrize("path", ["patients/{patient}/outcome/", "nerve-studies/",
                                  "nerve-studies/{study}/"])
def test_an_unknown_criteria_set_is_a_400_naming_criteria(clinician, studied, path):
    study = studied.nerve_studies.first().pk
    url = "/api/v1/" + path.format(patient=studied.pk, study=study)
    response = api(clinician).get(url, {"criteria": "nope"})
    assert response.status_code == 400
    assert "nope" in response.json()["criteria"][0]


def test_an_unknown_criteria_set_is_a_400_even_for_an_empty_list(clinician, patient):
    response = api(clinician).get("/api/v1/nerve-studies/", {"criteria": "nope"})
    assert response.status_code == 400 and "criteria" in response.json()


def test_the_outcome_under_another_set_query_count(clinician, studied,
                                                   django_assert_num_queries):
    client = api(clinician)
    # auth, criteria set, patient with outcome, reference limits, segments, studies
    with django_assert_num_queries(AUTH_QUERIES + 5):
        client.get(f"/api/v1/patients/{studied.pk}/outcome/", {"criteria": "efns-pns-2010"})


def test_nerve_studies_under_another_set_query_count(clinician, studied,
                                                     django_assert_num_queries):
    client = api(clinician)
    # auth, criteria set, count, studies with patients, segments, reference limits
    with django_assert_num_queries(AUTH_QUERIES + 5):
        client.get("/api/v1/nerve-studies/", {"criteria": "efns-pns-2010"})
