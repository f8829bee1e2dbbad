"""The tailoring episode pages and the patient page's episodes (ui.md, 2026-12-01)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from patients.templatetags.registry import score_chart
from treatments.models import Outcome, TailoringEpisode
from treatments.services import tailoring_record
from treatments.tests.tailoring_scenario import withdrawn

pytestmark = pytest.mark.django_db


def new_url(patient):
    return reverse("treatments:tailoring_new", args=[patient.pk])


def test_add_an_episode_marks_the_outcome_stale(client, clinician, patient):
    client.force_login(clinician)
    assert client.get(new_url(patient)).status_code == 200
    response = client.post(new_url(patient), {"kind": "withdrawal", "started_on": "2025-02-01",
                                              "ended_on": "", "notes": "trial off"})
    assert response.status_code == 302, response.context["form"].errors
    episode = TailoringEpisode.objects.get()
    assert (episode.kind, episode.started_on, episode.notes) == (
        "withdrawal", date(2025, 2, 1), "trial off")
    assert Outcome.objects.get(patient=patient).stale


def test_end_before_start_is_a_form_error_on_ended_on(client, clinician, patient):
    client.force_login(clinician)
    response = client.post(new_url(patient), {"kind": "withdrawal", "started_on": "2025-02-01",
                                              "ended_on": "2025-01-01"})
    assert response.status_code == 200
    assert "ended_on" in response.context["form"].errors
    assert not TailoringEpisode.objects.exists()


def test_edit_with_a_stale_version_is_refused(client, clinician, patient):
    episode = tailoring_record(patient=patient, data={"kind": "dose_reduction",
                                                      "started_on": date(2025, 1, 1)})
    url = reverse("treatments:tailoring_edit", args=[patient.pk, episode.pk])
    client.force_login(clinician)
    data = {"kind": "dose_reduction", "started_on": "2025-01-01", "ended_on": "2025-03-01",
            "notes": "", "version": 1}
    assert client.post(url, data).status_code == 302
    again = client.post(url, {**data, "notes": "late"})
    assert again.status_code == 200 and again.context["form"].non_field_errors()
    episode.refresh_from_db()
    assert (episode.ended_on, episode.notes, episode.version) == (date(2025, 3, 1), "", 2)


def test_other_centre_and_researcher_cannot_reach_the_form(
        client, other_centre_clinician, researcher, patient):
    client.force_login(other_centre_clinician)
    assert client.get(new_url(patient)).status_code == 404
    client.force_login(researcher)
    assert client.get(new_url(patient)).status_code == 403


def test_patient_page_shows_episodes_with_their_result_and_shades_the_chart(
        client, clinician, patient):
    start = date.today() - timedelta(days=40)
    withdrawn(patient, start=start, relapse=True)
    client.force_login(clinician)
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    text = response.content.decode()
    section = text[text.index('id="tailoring"'):text.index('id="visits"')]
    assert "Withdrawal (trial off)" in section and "Relapse" in section
    assert (start + timedelta(days=30)).isoformat() in section
    assert f"Withdrawal (trial off) from {start.isoformat()}: relapse on" in text  # chart


def test_chart_shades_each_episode_window():
    result = {"visits": [{"id": 1, "visited_on": "2024-01-01", "kind": "baseline", "score": 10},
                         {"id": 2, "visited_on": "2024-03-01", "kind": "follow_up",
                          "score": 15}],
              "baseline_score": 10,
              "tailoring": [{"id": 3, "kind": "dose_reduction", "started_on": "2024-02-01",
                             "window_ends_on": "2024-02-20", "result": "tolerated",
                             "relapse_on": None}]}
    svg = score_chart(result, [])
    assert "Dose reduction from 2024-02-01: Tolerated" in svg
    assert 'class="line reactive"' in svg  # a filled area, not a bare line
    assert score_chart({**result, "tailoring": []}, []).count('class="line reactive"') == 0
