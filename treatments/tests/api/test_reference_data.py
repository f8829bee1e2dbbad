"""rule-sets/, titre-thresholds/, block-criteria/ (api.md "Additions of 2026-12-01"):
who may write what, immutability, the stale marks each write makes, query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from registry.models import Role
from registry.tests.api.helpers import AUTH_QUERIES, api
from registry.tests.factories import PatientFactory, TitreFactory, member
from treatments.models import Outcome, RuleSet, TitreThreshold
from treatments.services import outcome_recompute_many

pytestmark = pytest.mark.django_db

GM1 = {"antigen": "gm1", "isotype": "IgM", "method": "elisa", "unit": "dilution"}


def general_gm1() -> TitreThreshold:
    return TitreThreshold.objects.get(center__isnull=True, current=True, **GM1)


# rule-sets/

def test_everyone_signed_in_reads_the_rule_sets_with_their_defaults(researcher):
    assert api().get("/api/v1/rule-sets/").status_code == 401
    seed, seed_2 = api(researcher).get("/api/v1/rule-sets/").json()["results"]
    assert seed["version"] == "seed-1"
    assert seed["defaults"] == []  # seed-2 (§9) is every diagnosis' default since 0010
    assert seed["parameters"]["min_step"] == 1
    assert seed["parameters"]["block_criteria"] == "seed-1"
    assert seed_2["version"] == "seed-2"
    assert seed_2["defaults"] == ["cidp", "igg_mgus_pn", "igm_mgus_pn", "mmn", "other"]
    assert seed_2["parameters"]["min_step"] == 1
    assert ["cidp", "adjusted_incat"] in seed_2["parameters"]["primary_measures"]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_rule_set_version_is_immutable(superuser, method):
    seed = RuleSet.objects.get(version="seed-1")
    response = getattr(api(superuser), method)(f"/api/v1/rule-sets/{seed.pk}/",
                                               {"parameters": {"min_step": 3}}, format="json")
    assert response.status_code == 405
    assert RuleSet.objects.get(pk=seed.pk).parameters["min_step"] == 1


def test_only_a_superuser_creates_a_version(data_manager, superuser, center,
                                            django_capture_on_commit_callbacks):
    body = {"version": "seed-3", "parameters": {"min_step": 2}, "defaults": ["cidp"]}
    assert api(data_manager).post("/api/v1/rule-sets/", body, format="json").status_code == 403
    cidp = PatientFactory(center=center, diagnosis="cidp")
    mmn = PatientFactory(center=center)
    outcome_recompute_many(patient_ids=[cidp.pk, mmn.pk])
    with django_capture_on_commit_callbacks():
        response = api(superuser).post("/api/v1/rule-sets/", body, format="json")
        assert response.status_code == 201, response.json()
        assert set(Outcome.objects.stale().values_list("patient_id", flat=True)) == {cidp.pk}
    created = response.json()
    assert (created["version"], created["defaults"], created["parameters"]["min_step"]) == (
        "seed-3", ["cidp"], 2)


@pytest.mark.parametrize("body, field", [
    ({"version": "seed-1", "parameters": {}}, "version"),
    ({"version": "seed-9", "parameters": {"no_such": 1}}, "parameters"),
    ({"version": "seed-9", "parameters": {"block_criteria": "nope"}}, "parameters"),
    ({"version": "seed-9", "defaults": ["flu"]}, "defaults"),
])
def test_a_bad_rule_set_is_a_400_naming_the_field(superuser, body, field):
    response = api(superuser).post("/api/v1/rule-sets/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not RuleSet.objects.filter(version="seed-9").exists()


# titre-thresholds/

def test_a_data_manager_writes_their_centres_rows_only(data_manager, center, other_center):
    client = api(data_manager)
    mine = client.post("/api/v1/titre-thresholds/", {**GM1, "center": center.pk,
                                                      "threshold": 1600}, format="json")
    assert mine.status_code == 201, mine.json()
    assert (mine.json()["center"], mine.json()["threshold"]) == (center.pk, 1600)
    theirs = client.post("/api/v1/titre-thresholds/", {**GM1, "center": other_center.pk,
                                                        "threshold": 1600}, format="json")
    general = client.post("/api/v1/titre-thresholds/", {**GM1, "antigen": "gd1a",
                                                         "method": "western_blot",
                                                         "threshold": 1600}, format="json")
    assert (theirs.status_code, general.status_code) == (403, 403)
    row = general_gm1()
    patch = client.patch(f"/api/v1/titre-thresholds/{row.pk}/",
                         {"threshold": 3200, "version": row.version}, format="json")
    assert patch.status_code == 403
    assert general_gm1().value == Decimal("800")


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.RESEARCHER])
def test_clinicians_and_researchers_write_no_threshold(center, role):
    user = member(center=center, role=role, username=f"u-{role}")
    response = api(user).post("/api/v1/titre-thresholds/", {**GM1, "center": center.pk,
                                                             "threshold": 1}, format="json")
    assert response.status_code == 403


def test_a_superuser_changes_a_general_row_as_a_new_revision(
    superuser, center, other_center, django_capture_on_commit_callbacks
):
    north = PatientFactory(center=center)
    TitreFactory(patient=north, value=Decimal("1600"))
    south = PatientFactory(center=other_center)
    TitreFactory(patient=south, antigen="mag", unit="btu")
    outcome_recompute_many(patient_ids=[north.pk, south.pk])
    row = general_gm1()
    with django_capture_on_commit_callbacks():
        response = api(superuser).patch(f"/api/v1/titre-thresholds/{row.pk}/",
                                        {"threshold": 3200, "version": row.version},
                                        format="json")
        assert response.status_code == 200, response.json()
        assert set(Outcome.objects.stale().values_list("patient_id", flat=True)) == {north.pk}
    new = response.json()
    assert new["id"] != row.pk and new["version"] == 2 and new["current"]
    assert new["revision"] == max(TitreThreshold.objects.values_list("revision", flat=True))
    old = api(superuser).get(f"/api/v1/titre-thresholds/{row.pk}/").json()
    assert (old["threshold"], old["current"]) == (800, False)
    again = api(superuser).patch(f"/api/v1/titre-thresholds/{row.pk}/",
                                 {"threshold": 6400, "version": 1}, format="json")
    assert again.status_code == 409  # replaced: reload the current row


def test_a_threshold_is_never_deleted(superuser):
    row = general_gm1()
    assert api(superuser).delete(f"/api/v1/titre-thresholds/{row.pk}/").status_code == 405


def test_a_bad_threshold_is_a_400_naming_the_field(superuser):
    response = api(superuser).post("/api/v1/titre-thresholds/", {**GM1, "threshold": -1},
                                   format="json")
    assert response.status_code == 400 and "threshold" in response.json()
    duplicate = api(superuser).post("/api/v1/titre-thresholds/", {**GM1, "threshold": 5},
                                    format="json")
    assert duplicate.status_code == 400 and "non_field_errors" in duplicate.json()


@pytest.mark.parametrize("extra", [0, 5])
def test_threshold_list_query_count(clinician, center, extra, django_assert_num_queries):
    for n in range(extra):
        TitreThreshold.objects.create(center=center, antigen="gd1b", isotype="IgG",
                                      method="elisa", unit="au", value=n, revision=1000 + n,
                                      current=n == extra - 1)
    current = TitreThreshold.objects.filter(current=True).count()
    client = api(clinician)
    # auth, count, the current rows
    with django_assert_num_queries(AUTH_QUERIES + 2):
        rows = client.get("/api/v1/titre-thresholds/").json()["results"]
    assert len(rows) == current


@pytest.mark.parametrize("versions", [1, 4])
def test_rule_set_list_query_count(clinician, versions, django_assert_num_queries):
    for n in range(1, versions):
        RuleSet.objects.create(version=f"v-{n}")
    client = api(clinician)
    # auth, count, rule sets, their diagnosis defaults (seed-1 and seed-2 are seeded)
    with django_assert_num_queries(AUTH_QUERIES + 3):
        assert len(client.get("/api/v1/rule-sets/").json()["results"]) == versions + 1


# block-criteria/

def test_the_criteria_sets_with_their_parameters(researcher, django_assert_num_queries):
    client = api(researcher)
    # auth, count, criteria sets
    with django_assert_num_queries(AUTH_QUERIES + 2):
        rows = client.get("/api/v1/block-criteria/").json()["results"]
    by_code = {row["code"]: row for row in rows}
    assert set(by_code) == {"seed-1", "efns-pns-2010"}
    assert by_code["seed-1"]["parameters"]["amplitude_drop_gt"] == 0.5
    assert by_code["efns-pns-2010"]["parameters"]["kind"] == "efns"
    assert by_code["seed-1"]["revision"] == 1
    url = f"/api/v1/block-criteria/{by_code['seed-1']['id']}/"
    assert api(researcher).patch(url, {"description": "x"}, format="json").status_code == 405
