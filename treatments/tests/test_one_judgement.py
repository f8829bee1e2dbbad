"""One clinical truth (issue 12, item 1): each judgement is computed by the rules and every
surface — API, patient page, admin, reports, exports — reads that one answer."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from exchange.tests.helpers import export_rows
from patients import services
from patients.models import Consent
from registry.tests.api.helpers import api
from registry.tests.factories import PatientFactory, mrc_grid
from treatments.models import Outcome, Series
from treatments.rules import SEED_1, interval_days, interval_flagged, total_grams
from treatments.services import outcome_recompute, series_give

pytestmark = pytest.mark.django_db

START = date(1994, 1, 10)


def _give(patient, n: int, **data) -> Series:
    return series_give(patient=patient, data={
        "started_on": START + timedelta(days=28 * (n - 1)), "days": 5,
        "dose_g_per_kg": Decimal("2.0"), "weight_kg": Decimal("70"), "product": "IVIg",
        **data}, lot_numbers=[f"L{n}"], adverse_events=[])


def _titre(patient, on: date, value: str, method: str = "elisa"):
    return services.titre_record(patient=patient, data={
        "sampled_on": on, "antigen": "gm1", "isotype": "IgM", "method": method,
        "value": Decimal(value), "unit": "dilution"})


def _page_titres(html: str) -> dict[tuple[str, str, str], bool]:
    """(date, method label, value) → whether the page marks the titre significant."""
    section = html.split("<h2>Antibody titres</h2>", 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in section.split("<tr>")[2:]:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows[(cells[0], cells[2], cells[3].split()[0])] = ">significant</span>" in cells[4]
    return rows


def test_a_titre_of_1_in_3200_is_significant_on_the_page_the_api_and_the_export(
        clinician, data_manager, patient):
    """The page used to guess from the stored outcome by antigen, isotype and date only:
    a 1/3200 that was neither the titre before IVIg nor the latest significant one
    showed as not significant while the API and the rules said significant."""
    _give(patient, 1)
    _titre(patient, START + timedelta(days=50), "3200")
    _titre(patient, START + timedelta(days=50), "400", method="tlc")  # same day, other assay
    _titre(patient, START + timedelta(days=150), "1600")
    outcome_recompute(patient_id=patient.pk)

    client = api(clinician)
    from_api = {
        (row["sampled_on"], row["method"], row["value"]): row["significant"]
        for row in client.get("/api/v1/titres/", {"patient": patient.pk}).json()["results"]
    }
    assert from_api == {("1994-03-01", "elisa", 3200): True, ("1994-03-01", "tlc", 400): False,
                        ("1994-06-09", "elisa", 1600): True}

    client.force_login(clinician)
    page = _page_titres(client.get(reverse("patients:detail", args=[patient.pk]))
                        .content.decode())
    assert page == {("1994-03-01", "ELISA", "3200.00"): True,
                    ("1994-03-01", "TLC immunodetection", "400.00"): False,
                    ("1994-06-09", "ELISA", "1600.00"): True}

    exported = {(row["sampled_on"], row["method"], row["value"]): row["significant"]
                for row in export_rows(data_manager, "titres")}
    assert exported == {("1994-03-01", "elisa", "3200.00"): "TRUE",
                        ("1994-03-01", "tlc", "400.00"): "FALSE",
                        ("1994-06-09", "elisa", "1600.00"): "TRUE"}

    stored = Outcome.objects.get(patient=patient).result["titres_significant"]
    assert [(t["method"], t["value"]) for t in stored] == [("elisa", 1600)]


def test_table2_reads_the_stored_disability_result_in_json_csv_and_the_page(clinician,
                                                                           center):
    """A stored outcome computed by a rule set asking for two grades says "stable" for a
    one-grade gain; Table 2 used to recompute it with seed-1 and say "improved"."""
    patient = PatientFactory(center=center, code="IGM-900", diagnosis="igm_mgus_pn")
    Consent.objects.update_or_create(patient=patient, defaults={"given_on": date(1993, 1, 1)})
    _give(patient, 1)
    result = {"rules_version": "strict-1", "status": "on_treatment", "titres_significant": [],
              "disability": {"measure": "prineas", "before": 3, "after": 2, "change": -1,
                             "result": "stable"}}
    Outcome.objects.filter(patient=patient).update(
        data_version=1, computed_data_version=1, result=result,
        summary=Outcome.summary_of(result), rules_version="strict-1")

    client = api(clinician)
    report = client.get("/api/v1/reports/table2/").json()
    (row,) = [r for r in report["rows"] if r["case"] == "IGM-900"]
    assert (row["prineas_change"], row["result"]) == (-1, "stable")
    assert "0/1 improved one grade, 1/1 stable, 0/1 deteriorated" in " ".join(
        report["summary"])
    lines = list(csv.DictReader(io.StringIO(
        client.get("/api/v1/reports/table2/", {"format": "csv"}).content.decode())))
    assert [line["result"] for line in lines if line["case"] == "IGM-900"] == ["stable"]
    client.force_login(clinician)
    html = client.get(reverse("treatments:reports")).content.decode()
    shown = html.split(">IGM-900</a>", 1)[1].split("</tr>", 1)[0]
    assert "Stable" in shown and "Improved" not in shown
    csv_page = client.get(reverse("treatments:report_csv", args=["table2"]))
    lines = list(csv.DictReader(io.StringIO(b"".join(csv_page.streaming_content).decode()
                                            if csv_page.streaming else
                                            csv_page.content.decode())))
    assert [line["result"] for line in lines if line["case"] == "IGM-900"] == ["stable"]


def test_total_grams_and_the_interval_are_the_rules_answers_everywhere(clinician, data_manager,
                                                                       patient):
    first = _give(patient, 1, weight_kg=Decimal("72.5"), dose_g_per_kg=Decimal("0.4"))
    second = series_give(patient=patient, data={
        "started_on": START + timedelta(days=45), "days": 5, "dose_g_per_kg": Decimal("2.0"),
        "weight_kg": Decimal("70.3"), "product": "IVIg"}, lot_numbers=["L2"], adverse_events=[])
    outcome_recompute(patient_id=patient.pk)

    assert first.total_grams == total_grams(dose_g_per_kg=Decimal("0.4"),
                                            weight_kg=Decimal("72.5")) == Decimal("29.0")
    assert second.total_grams == Decimal("140.6")
    rows = api(clinician).get("/api/v1/series/", {"patient": patient.pk}).json()["results"]
    assert [(r["total_grams"], r["interval_days"]) for r in rows] == [
        (29.0, None), (140.6, 45)]
    stored = Outcome.objects.get(patient=patient).result["series"]
    assert [(s["interval_days"], s["interval_flag"]) for s in stored] == [
        (None, False), (45, interval_flagged(45, rules=SEED_1))] == [(None, False), (45, True)]
    exported = export_rows(data_manager, "series")
    assert [(r["total_grams"], r["interval_days"]) for r in exported] == [
        ("29.0", ""), ("140.6", "45")]
    assert interval_days(started_on=second.started_on,
                         previous_started_on=first.started_on) == 45


def test_a_sural_segment_is_not_assessable_in_the_api_the_export_and_the_outcome(
        clinician, data_manager, patient):
    _give(patient, 1)
    blocked = {"side": "R", "distal_amplitude_mv": Decimal("6"),
               "proximal_amplitude_mv": Decimal("1"), "distal_area_mvms": Decimal("18"),
               "proximal_area_mvms": Decimal("3"), "distal_duration_ms": Decimal("5.6"),
               "proximal_duration_ms": Decimal("6.0")}
    services.nerve_study_record(patient=patient, data={"studied_on": START}, segments=[
        {"nerve": "sural", **blocked}, {"nerve": "median", **blocked}])
    outcome_recompute(patient_id=patient.pk)

    (study,) = api(clinician).get("/api/v1/nerve-studies/",
                                  {"patient": patient.pk}).json()["results"]
    assert {s["nerve"]: s["block"] for s in study["segments"]} == {
        "sural": "not_assessable", "median": "partial_block"}
    assert {r["nerve"]: r["block"] for r in export_rows(data_manager, "nerve_segments")} == {
        "sural": "not_assessable", "median": "partial_block"}
    blocks = Outcome.objects.get(patient=patient).result["conduction_blocks"]
    assert blocks["first_study"] == 1
    assert [s["nerve"] for s in blocks["segments"]] == ["median"]


def _no_response_history(patient, *, prior_kind: str | None = None):
    services.visit_record(patient=patient, data={
        "visited_on": START - timedelta(days=7), "kind": "baseline"}, mrc=mrc_grid(2))
    for n in range(1, 4):
        series = _give(patient, n)
        services.visit_record(patient=patient, data={
            "visited_on": series.started_on + timedelta(days=14), "kind": "post_series",
            "series": series}, mrc=mrc_grid(2))
    if prior_kind:
        services.prior_treatment_record(patient=patient, data={
            "kind": prior_kind, "started_on": date(1992, 5, 1)})


def test_a_patient_on_immunoglobulin_before_series_1_is_stable_on_treatment(clinician,
                                                                           patient):
    _no_response_history(patient)
    response = api(clinician).post("/api/v1/prior-treatments/", {
        "patient": patient.pk, "kind": "immunoglobulin", "started_on": "1992-05-01"},
        format="json")
    assert response.status_code == 201, response.content
    outcome = outcome_recompute(patient_id=patient.pk)
    assert outcome.status == "stable_on_treatment"
    assert outcome.result["status"] == "stable_on_treatment"


def test_without_immunoglobulin_the_same_history_is_no_response(patient):
    _no_response_history(patient, prior_kind="steroids")
    assert outcome_recompute(patient_id=patient.pk).status == "no_response"


def test_an_unknown_prior_treatment_kind_is_refused_naming_the_field(clinician, patient):
    response = api(clinician).post("/api/v1/prior-treatments/", {
        "patient": patient.pk, "kind": "ivig_maybe"}, format="json")
    assert response.status_code == 400
    assert "kind" in response.json().get("fields", response.json())
