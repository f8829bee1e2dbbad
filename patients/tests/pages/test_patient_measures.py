"""The §9 measures on the patient page (ui.md "Additions of 2026-12-01"): the primary
measure's outcome, the measures table and one chart per recorded measure, all read from
the stored outcome."""

import re

import pytest
from django.urls import reverse

from patients.models import Patient


@pytest.fixture
def demo(db):
    from patients.demo.load import load_demo
    from treatments.services import outcome_recompute_many

    _, patients = load_demo()
    outcome_recompute_many(patient_ids=[p.pk for p in patients])
    return {p.code: p for p in Patient.objects.select_related("outcome")}


def page(client, user, patient) -> str:
    client.force_login(user)
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_cidp_patient_has_the_measures_table_and_one_chart_per_recorded_measure(
        client, superuser, demo):
    patient = demo["CIDP-001"]
    result = patient.outcome.result
    html = page(client, superuser, patient)
    table = html.split('id="measures-table"')[1].split("</table>")[0]
    for row in result["measures"]:
        assert f'data-measure="{row["measure"]}"' in table
    recorded = {code for v in result["visits"] for code, value in v["scores"].items()
                if value is not None and code != "mrc_targets"}
    assert recorded >= {"incat", "adjusted_incat", "irods", "grip"}
    charts = re.findall(r'<div class="measure-chart" data-measure="([a-z_]+)"', html)
    assert sorted(charts) == sorted(recorded)
    # every chart is followed by its points table; the lower-is-better ones say so
    assert html.count('class="chart-points"') >= len(charts)
    incat = html.split('<div class="measure-chart" data-measure="incat">')[1].split("</h3>")[0]
    assert "lower is better, drawn upwards" in incat
    grip = html.split('<div class="measure-chart" data-measure="grip">')[1].split("</h3>")[0]
    assert "lower is better" not in grip
    # the primary measure, its baseline and the status, as stored
    primary = html.split('id="primary-measure"')[1].split("</p>")[0]
    assert "Adjusted INCAT" in primary or result["primary_measure"] != "adjusted_incat"
    assert str(result["primary_baseline"]) in primary


def test_an_igm_patient_judged_on_prineas_has_a_real_status(client, superuser, demo):
    judged = [p for p in demo.values() if p.diagnosis.startswith("igm")
              and p.outcome.result.get("primary_measure") == "prineas"]
    assert judged, "an IgM demo patient is judged on the Prineas score"
    patient = judged[0]
    assert patient.outcome.result["status"] != "insufficient_data"
    html = page(client, superuser, patient)
    assert "Neurological score (Prineas)" in html.split('id="primary-measure"')[1]
    badges = html.split('id="outcome-badges"')[1].split("</div>")[0]
    assert "Insufficient data" not in badges
    assert '<div class="measure-chart" data-measure="prineas">' in html


def _queries(client, patient) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 200
    return len(queries)


def test_the_query_count_does_not_grow_per_measure(client, clinician, patient):
    from registry.tests.factories import VisitFactory
    from treatments.models import Outcome

    visits = [VisitFactory(patient=patient, visited_on=f"1994-0{m}-01", kind="follow_up")
              for m in range(1, 4)]
    codes = ["incat", "adjusted_incat", "irods", "grip", "onls", "prineas", "mrc_sum"]

    def store(measures):
        Outcome.objects.filter(patient=patient).update(
            data_version=1, computed_data_version=1, status="stable",
            result={"status": "stable", "primary_measure": measures[0],
                    "primary_baseline": 3, "flags": [], "series": [],
                    "measures": [{"measure": c, "baseline": 3, "latest": 2, "change": -1,
                                  "result": "stable", "mcid": 1, "responder": False}
                                 for c in measures],
                    "visits": [{"id": v.pk, "visited_on": str(v.visited_on),
                                "kind": v.kind, "series": None, "score": None,
                                "grade": None, "scores": dict.fromkeys(measures, 3 - i),
                                "primary_score": 3 - i}
                               for i, v in enumerate(visits)]})

    client.force_login(clinician)
    store(codes[:1])
    one = _queries(client, patient)
    store(codes)
    html = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert html.count('<div class="measure-chart"') == len(codes)
    assert _queries(client, patient) == one
