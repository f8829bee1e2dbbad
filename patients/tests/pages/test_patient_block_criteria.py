"""The patient page's conduction-block section: a criteria-set selector (a GET form) shows
the blocks under another set for this view only (clinical-rules.md §4, ui.md)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from registry.tests.factories import clinical_history
from treatments.models import Outcome
from treatments.services import outcome_recompute

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(client, clinician, patient):
    clinical_history(patient, 2)
    outcome_recompute(patient_id=patient.pk)
    client.force_login(clinician)
    return lambda **query: client.get(reverse("patients:detail", args=[patient.pk]), query)


def test_the_selector_offers_every_criteria_set_with_the_stored_one_chosen(page):
    text = page().content.decode()
    assert '<select name="criteria" id="criteria">' in text
    assert '<option value="seed-1" selected>seed-1</option>' in text
    assert '<option value="efns-pns-2010">efns-pns-2010</option>' in text
    assert 'class="block-partial_block"' in text


def test_another_criteria_set_is_shown_for_this_view_only(page, patient):
    text = page(criteria="efns-pns-2010").content.decode()
    assert '<option value="efns-pns-2010" selected>' in text
    assert 'class="block-definite_block"' in text and "block-partial_block" not in text
    assert "Shown under efns-pns-2010 for this view" in text
    assert Outcome.objects.get(patient=patient).criteria == "seed-1"


def test_an_unknown_criteria_set_is_said_and_the_stored_blocks_shown(page):
    response = page(criteria="nope")
    text = response.content.decode()
    assert response.status_code == 400
    assert "Unknown criteria set &#x27;nope&#x27;" in text and 'role="alert"' in text
    assert 'class="block-partial_block"' in text
