import pytest
from django.urls import reverse

from patients.models import Identity, NerveSegment, NerveStudy
from registry.tests.factories import MrcGradeFactory, SeriesFactory, TitreFactory, VisitFactory
from treatments.models import LotNumber, Outcome, TailoringEpisode


def url(patient):
    return reverse("patients:detail", args=[patient.pk])


def _computed(patient, visits, **result):
    Outcome.objects.filter(patient=patient).update(
        data_version=1, computed_data_version=1, status="improving",
        result={"status": "improving", "initial_response": "dramatic", "n_star": 1,
                "plateau_after_series": None, "wear_off_intervals": [], "final": {},
                "baseline_score": 10, "flags": [], "series": [],
                "visits": [{"id": v.pk, "visited_on": str(v.visited_on), "kind": v.kind,
                            "series": None, "score": 10 + i, "grade": None}
                           for i, v in enumerate(visits)],
                **result},
    )


def test_scoping_404(client, clinician, other_patient):
    client.force_login(clinician)
    assert client.get(url(other_patient)).status_code == 404


def test_shows_outcome_badges_and_chart(client, clinician, patient):
    visits = [VisitFactory(patient=patient, visited_on=f"1994-0{m}-01", kind="follow_up")
              for m in range(1, 4)]
    SeriesFactory(patient=patient, number=1, started_on="1994-01-15")
    _computed(patient, visits)
    client.force_login(clinician)
    response = client.get(url(patient))
    html = response.content.decode()
    assert "Initial response: Dramatic" in html
    assert "Recomputing" not in html
    assert "<svg" in html and "<script" not in html.split("<svg", 1)[1].split("</svg>")[0]
    assert html.count('class="dot') >= 3


def test_titre_significance_is_the_rules_answer(client, clinician, patient):
    TitreFactory(patient=patient, sampled_on="1994-01-01")
    _computed(patient, [], titres_significant=[
        {"antigen": "gm1", "isotype": "IgM", "sampled_on": "1994-01-01"}])
    client.force_login(clinician)
    assert b">significant</span>" in client.get(url(patient)).content


def test_stale_outcome_shows_recomputing(client, clinician, patient):
    client.force_login(clinician)
    assert "Recomputing…" in client.get(url(patient)).content.decode()


def test_identity_hidden_from_researchers(client, clinician, researcher, patient):
    Identity.objects.create(patient=patient, name="Jane Example", hospital_number="H-1")
    client.force_login(clinician)
    assert b"Jane Example" in client.get(url(patient)).content
    client.force_login(researcher)
    response = client.get(url(patient))
    assert response.status_code == 200
    assert b"Jane Example" not in response.content
    assert b"New visit" not in response.content


def _fill(patient, rows):
    for i in range(rows):
        series = SeriesFactory(patient=patient, number=i + 1, started_on=f"19{80 + i}-01-01")
        LotNumber.objects.create(series=series, lot=f"L{i}")
        visit = VisitFactory(patient=patient, visited_on=f"19{80 + i}-02-01", kind="follow_up")
        MrcGradeFactory(visit=visit)
        TitreFactory(patient=patient, sampled_on=f"19{80 + i}-01-01")
        study = NerveStudy.objects.create(patient=patient, studied_on=f"19{80 + i}-03-01")
        NerveSegment.objects.create(study=study, nerve="median", side="R")
        TailoringEpisode.objects.create(patient=patient, kind="dose_reduction",
                                        started_on=f"19{80 + i}-04-01")


@pytest.mark.parametrize("rows", [1, 5])
def test_query_count_does_not_grow_with_records(
    client, clinician, patient, rows, django_assert_num_queries
):
    _fill(patient, rows)
    client.force_login(clinician)
    # session, user, memberships (centre scope and roles: read once), patient + centre +
    # outcome, identity, series, lots, adverse events, visits + series,
    # nerve studies, segments, titres, the titre thresholds (significance by the rules, as
    # the API), paraproteins,
    # prior treatments, affected nerves, tailoring episodes, and the audit trail: one query
    # per audited model (patient, consent, affected nerve, pinned muscle, titre,
    # paraprotein, prior treatment, visit, nerve study, series, tailoring episode, identity,
    # MRC grade, segment, lot, adverse event), the block criteria sets the conduction-block
    # selector offers, and the patient's open data-quality queries (§11).
    with django_assert_num_queries(35):
        response = client.get(url(patient))
    assert response.status_code == 200


def test_a_titre_without_a_threshold_is_unknown_never_not_significant(client, clinician,
                                                                      patient):
    # clinical-rules.md §5: no threshold → significance unknown (null), never false.
    TitreFactory(patient=patient, antigen="gm1", method="western_blot")
    TitreFactory(patient=patient, value="400", sampled_on="1994-02-01")
    client.force_login(clinician)
    html = client.get(url(patient)).content.decode()
    assert html.count("no threshold") == 1
    assert ">significant</span>" not in html
