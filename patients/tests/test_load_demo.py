"""The paper's patients load through the services and reproduce the paper's tables."""

import pytest
from django.contrib.auth.models import User

from patients.demo.load import load_demo
from patients.models import Patient, Visit
from treatments.models import Outcome
from treatments.reports import table1_report, table2_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        load_demo()


@pytest.fixture
def reader(db):
    return User(is_superuser=True)


def test_counts_per_diagnosis_match_the_paper(demo):
    counts = {d: Patient.objects.filter(diagnosis=d).count()
              for d in ("mmn", "igm_mgus_pn", "igg_mgus_pn")}
    assert counts == {"mmn": 6, "igm_mgus_pn": 13, "igg_mgus_pn": 4}


def test_loading_twice_changes_nothing(demo):
    visits = Visit.objects.count()
    versions = list(Outcome.objects.order_by("patient_id").values_list("data_version", flat=True))
    load_demo()
    assert Patient.objects.count() == 23 + 4 + 1  # the paper's, the CIDP cohort, CIDP-005
    assert Visit.objects.count() == visits
    assert list(
        Outcome.objects.order_by("patient_id").values_list("data_version", flat=True)
    ) == versions


def test_every_outcome_is_computed_after_loading(demo):
    assert not Outcome.objects.stale().exists()


def test_table1_reproduces_the_paper(demo, reader):
    report = table1_report(user=reader)
    rows = {row["case"]: row for row in report["rows"]}
    assert [(rows[c]["series_count"], rows[c]["first_response"], rows[c]["n_star"],
             rows[c]["final_result"]) for c in sorted(rows)] == [
        (13, "dramatic", 10, "Persistent improvement"),
        (8, "slight", 5, "Deterioration"),
        (8, "dramatic", 6, "Slight persistent improvement"),
        (6, "dramatic", 6, "Persistent improvement"),
        (8, "mild", 5, "Mild persistent improvement if repeated"),
        (3, "none", None, "No response"),
    ]
    assert [(rows[c]["sex"], rows[c]["age"], rows[c]["course_years"]) for c in sorted(rows)] == [
        ("M", 34, 8), ("M", 50, 15), ("M", 46, 15), ("M", 29, 22), ("M", 46, 3), ("M", 35, 4)]
    assert report["summary"] == [
        "initial response dramatic in 3/6",
        "final good result in 4/6",
        "significantly high anti-GM1 in 4/6",
    ]


def test_table2_reproduces_the_paper(demo, reader):
    report = table2_report(user=reader)
    groups = {group["group"]: group for group in report["groups"]}
    assert groups["previously_treated"]["counts"] == {
        "cases": 7, "improved": 4, "stable": 1, "deteriorated": 2}
    assert groups["not_treated"]["counts"]["improved"] == 2
    assert groups["not_treated"]["counts"]["cases"] == 3
    assert [row["case"] for row in groups["stopped"]["rows"]] == [
        "IGM-011", "IGM-012", "IGM-013"]
    before_after = [(r["prineas_before"], r["prineas_after"])
                    for r in groups["previously_treated"]["rows"]]
    assert before_after == [(3, 2), (4, 3), (3, 2), (3, 3), (1, 3), (2, 4), (4, 3)]


def test_withdrawn_consent_leaves_the_reports(demo, reader):
    from patients.models import Consent

    Consent.objects.filter(patient__code="MMN-001").update(withdrawn_on="1996-01-01")
    report = table1_report(user=reader)
    assert "MMN-001" not in [row["case"] for row in report["rows"]]
    assert report["summary"][0] == "initial response dramatic in 2/5"


def test_reports_use_a_fixed_number_of_queries(demo, reader, django_assert_num_queries):
    # Table 1: affected nerves (1), series per patient (2), patients with the outcome keys
    # the table reads (3).
    with django_assert_num_queries(3):
        table1_report(user=reader)
    # Table 2: prior treatments (1), IgM paraproteins (2), series per patient (3), patients
    # with their outcome keys and stopping adverse events (4).
    with django_assert_num_queries(4):
        table2_report(user=reader)


# clinical-rules.md §9: every demo patient judged on their primary measure; the constructed
# CIDP cohort's results by the MCIDs (patients/demo/cidp.py).

def test_no_demo_patient_with_scores_of_their_primary_measure_lacks_a_status(demo):
    for outcome in Outcome.objects.select_related("patient"):
        result = outcome.result
        primary = result["primary_measure"]
        scored = [v for v in result["visits"] if v["primary_score"] is not None]
        assert scored, (outcome.patient.code, primary)
        assert outcome.status != "insufficient_data", (outcome.patient.code, result["flags"])


def test_the_primary_measure_per_diagnosis_in_the_demo(demo):
    measures = {o.patient.diagnosis: o.result["primary_measure"]
                for o in Outcome.objects.select_related("patient")}
    assert measures == {"mmn": "mrc_targets", "igm_mgus_pn": "prineas",
                        "igg_mgus_pn": "prineas", "cidp": "adjusted_incat"}


def test_the_cidp_cohort_results_by_the_mcids(demo):
    outcomes = {o.patient.code: o.result for o in
                Outcome.objects.select_related("patient").filter(patient__diagnosis="cidp")}

    def responders(code):
        return {m["measure"] for m in outcomes[code]["measures"] if m["responder"]}

    def results(code):
        return {m["measure"]: m["result"] for m in outcomes[code]["measures"]}

    responder = outcomes["CIDP-001"]
    assert (responder["status"], responder["n_star"], responder["final"]["label"]) == (
        "plateau", 3, "Persistent improvement")
    assert responders("CIDP-001") == {"incat", "adjusted_incat", "irods", "grip", "onls"}
    assert {m["measure"]: m["change"] for m in responder["measures"]} == {
        "incat": -3, "adjusted_incat": -3, "irods": 17, "grip": 17.5, "onls": -2}

    none = outcomes["CIDP-002"]
    assert (none["status"], none["initial_response"], none["final"]["label"]) == (
        "no_response", "stable", "Stable")
    assert responders("CIDP-002") == set()
    assert set(results("CIDP-002").values()) == {"stable"}

    wear_off = outcomes["CIDP-003"]
    assert [w["after_series"] for w in wear_off["wear_off_intervals"]] == [1, 2, 3]
    assert wear_off["infusion_dependent"] is True
    assert wear_off["final"]["label"] == "Persistent improvement if repeated"
    assert responders("CIDP-003") == {"incat", "adjusted_incat", "irods", "grip", "onls"}

    worse = outcomes["CIDP-004"]
    assert (worse["status"], worse["final"]["label"]) == ("deteriorating", "Deterioration")
    assert results("CIDP-004") == {"incat": "deteriorated", "adjusted_incat": "deteriorated",
                                   "irods": "deteriorated", "grip": "deteriorated",
                                   "onls": "deteriorated"}
def test_the_demo_patients_but_the_scig_one_are_iv_loading_then_maintenance_on_actual_weight(
        demo):
    from treatments.models import Series

    paper = Series.objects.exclude(patient__code="CIDP-005")
    assert set(paper.values_list("route", "dose_basis")) == {("iv", "actual")}
    assert set(paper.filter(number=1).values_list("regimen", flat=True)) == {"loading"}
    assert set(paper.exclude(number=1).values_list("regimen", flat=True)) == {"maintenance"}


def test_the_cidp_patient_goes_on_to_weekly_scig_dosed_on_adjusted_weight(demo):
    from decimal import Decimal

    from treatments.models import Series

    series = list(Series.objects.filter(patient__code="CIDP-005").order_by("number"))
    assert [s.route for s in series] == ["iv"] * 3 + ["sc"] * 24
    # Devine 178 cm man: 73.18 kg; adjusted 73.18 + 0.4 × (96 − 73.18) = 82.3 kg
    assert {s.dosing_weight_kg for s in series} == {Decimal("82.3")}
    assert [s.prescribed_grams for s in series[:4]] == [Decimal("165"), Decimal("80"),
                                                        Decimal("80"), Decimal("16")]
