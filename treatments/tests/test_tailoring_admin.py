"""The tailoring episodes' admin: through the services, centre-scoped, the result the stored
outcome's."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from registry.models import Role
from registry.tests.admin_forms import posted_form
from registry.tests.factories import member
from treatments.models import Outcome, TailoringEpisode
from treatments.services import tailoring_record
from treatments.tests.tailoring_scenario import withdrawn

pytestmark = pytest.mark.django_db


def test_admin_edit_and_delete_go_through_the_services(client, data_manager, patient):
    episode = tailoring_record(patient=patient, data={"kind": "withdrawal",
                                                      "started_on": date(2025, 1, 1)})
    before = Outcome.objects.get(patient=patient).data_version
    client.force_login(data_manager)
    url = reverse("admin:treatments_tailoringepisode_change", args=[episode.pk])
    form = posted_form(client.get(url))
    assert client.post(url, {**form, "ended_on": "2025-02-01"}).status_code == 302
    episode.refresh_from_db()
    assert (episode.ended_on, episode.version) == (date(2025, 2, 1), 2)
    assert episode.history.first().history_source == "admin"
    assert Outcome.objects.get(patient=patient).data_version == before + 1
    stale = client.post(url, {**form, "notes": "late"})  # the version read is 1
    assert stale.status_code == 200
    delete = reverse("admin:treatments_tailoringepisode_delete", args=[episode.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not TailoringEpisode.objects.exists()
    assert Outcome.objects.get(patient=patient).data_version == before + 2


def test_admin_shows_the_stored_result_and_only_my_centres(client, data_manager, patient,
                                                           other_patient):
    episode = withdrawn(patient, start=date.today() - timedelta(days=40), relapse=True)
    theirs = tailoring_record(patient=other_patient, data={"kind": "withdrawal",
                                                           "started_on": date(2025, 1, 1)})
    client.force_login(data_manager)
    listing = client.get(reverse("admin:treatments_tailoringepisode_changelist"))
    assert "Relapse" in listing.content.decode()
    assert client.get(reverse("admin:treatments_tailoringepisode_change",
                              args=[theirs.pk])).status_code in (302, 404)
    assert client.get(reverse("admin:treatments_tailoringepisode_change",
                              args=[episode.pk])).status_code == 200


def test_a_second_session_cannot_overwrite(center, data_manager, patient):
    episode = tailoring_record(patient=patient, data={"kind": "withdrawal",
                                                      "started_on": date(2025, 1, 1)})
    second = member(center=center, role=Role.DATA_MANAGER, username="second_dm")
    first_client, second_client = Client(), Client()
    first_client.force_login(data_manager)
    second_client.force_login(second)
    url = reverse("admin:treatments_tailoringepisode_change", args=[episode.pk])
    first_form = posted_form(first_client.get(url))
    second_form = posted_form(second_client.get(url))
    assert first_client.post(url, {**first_form, "notes": "first"}).status_code == 302
    assert second_client.post(url, {**second_form, "notes": "second"}).status_code == 200
    assert TailoringEpisode.objects.get().notes == "first"
