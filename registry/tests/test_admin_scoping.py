"""The admin is centre-scoped too: a data manager sees, picks and writes only their
centres' records; clinicians and researchers cannot use it for writes."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.db.models import F
from django.urls import reverse

from patients.models import Patient, Titre
from registry.scoping import CENTRE_PATHS
from registry.tamper import TRIGGER
from registry.tests.otp import verify_session
from registry.tests.trust import NAME
from treatments.models import TitreThreshold
from treatments.services import titre_threshold_create

pytestmark = pytest.mark.django_db

SCOPED = [model for model in admin.site._registry
          if model._meta.label_lower in CENTRE_PATHS]
TITRE = {"sampled_on": "1994-01-01", "antigen": "gm1", "isotype": "IgM", "method": "elisa",
         "unit": "dilution", "value": "800"}


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def theirs_of(model, world):
    path = CENTRE_PATHS[model._meta.label_lower]
    lookup = "pk" if path == "pk" else f"{path}_id"
    return model.objects.filter(**{lookup: world.theirs.center_id}).first()


@pytest.mark.parametrize("model", SCOPED, ids=lambda m: m.__name__)
def test_a_data_manager_sees_only_their_centres_records(client, data_manager, world, model,
                                                        other_centre_clinician):
    client.force_login(data_manager)
    listing = client.get(admin_url(model, "changelist"), {"all": ""})
    assert listing.status_code == 200
    text = listing.content.decode()
    assert world.theirs.code not in text and "South neurology" not in text
    assert "other_clinician" not in text
    other = theirs_of(model, world)
    assert other is not None
    for view in ("change", "delete"):
        response = client.get(admin_url(model, view, other.pk))
        assert response.status_code in (302, 403, 404), (view, response.status_code)
        if response.status_code == 302:  # the admin's "does not exist" redirect
            assert response.url == reverse("admin:index")
    if hasattr(model, "history"):
        assert client.get(admin_url(model, "history", other.pk)).status_code == 404


def test_the_patient_list_of_a_data_manager_holds_their_patients(client, data_manager, world):
    client.force_login(data_manager)
    text = client.get(admin_url(Patient, "changelist")).content.decode()
    assert world.mine.code in text and world.theirs.code not in text
    page = client.get(admin_url(Patient, "change", world.mine.pk)).content.decode()
    assert NAME in page  # the identity inline, for their own centre's patient


def test_a_data_manager_cannot_file_a_record_under_another_centres_patient(
    client, data_manager, world
):
    client.force_login(data_manager)
    before = Titre.objects.count()
    response = client.post(admin_url(Titre, "add"), {**TITRE, "patient": world.theirs.pk})
    assert response.status_code == 200
    assert "patient" in response.context["adminform"].form.errors
    assert Titre.objects.count() == before
    assert client.post(admin_url(Titre, "add"), {**TITRE, "patient": world.mine.pk}
                       ).status_code == 302


def test_the_patient_autocomplete_offers_only_their_centres(client, data_manager, world):
    client.force_login(data_manager)
    response = client.get(reverse("admin:autocomplete"), {
        "app_label": "patients", "model_name": "titre", "field_name": "patient", "term": "MMN"})
    codes = {row["text"] for row in response.json()["results"]}
    assert codes == {world.mine.code}


def test_a_superuser_sees_every_centre(client, superuser, world):
    client.force_login(superuser)
    text = client.get(admin_url(Patient, "changelist")).content.decode()
    assert world.mine.code in text and world.theirs.code in text


@pytest.mark.parametrize("user", ["clinician", "researcher"])
def test_clinicians_and_researchers_cannot_use_the_admin(client, request, user, world):
    client.force_login(request.getfixturevalue(user))
    assert client.get(reverse("admin:index")).status_code == 302  # to the admin login
    before = Titre.objects.count()
    response = client.post(admin_url(Titre, "add"), {**TITRE, "patient": world.mine.pk})
    assert response.status_code == 302 and "/admin/login/" in response.url
    assert Titre.objects.count() == before


def test_a_researcher_made_staff_by_mistake_still_cannot_write_or_see(client, researcher,
                                                                        world):
    researcher.is_staff = True
    researcher.save()
    client.force_login(researcher)
    verify_session(client, researcher)  # past the admin's second factor: the admin refuses
    assert client.get(admin_url(Titre, "add")).status_code == 403
    text = client.get(admin_url(Patient, "changelist")).content.decode()
    assert world.mine.code not in text
    titre = Titre.objects.filter(patient=world.mine).first()
    assert client.post(admin_url(Titre, "change", titre.pk), {**TITRE, "patient": world.mine.pk,
                                                               "value": "1"}).status_code != 302


def test_thresholds_are_for_data_managers_of_their_centre(client, data_manager, world):
    """Data managers write their centres' thresholds; the general ones are read-only for
    them (superusers write those: treatments/tests/test_reference_admin.py)."""
    general = TitreThreshold.objects.filter(center__isnull=True).first()
    own = titre_threshold_create(data={
        "center": world.mine.center, "antigen": "gm1", "isotype": "IgM", "method": "elisa",
        "unit": "dilution", "value": "1600"})
    client.force_login(data_manager)
    page = client.get(admin_url(TitreThreshold, "change", own.pk))
    assert page.status_code == 200 and 'name="_save"' in page.content.decode()
    page = client.get(admin_url(TitreThreshold, "change", general.pk))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()


def test_a_history_page_is_judged_by_the_records_id_not_the_history_rows(
    client, data_manager, world
):
    """A historical row's primary key is its own ``history_id``: even when one of them
    equals another centre's record id, that record's history stays 404."""
    theirs = Titre.objects.filter(patient=world.theirs).first()
    mine = Titre.objects.filter(patient=world.mine).first()
    history = Titre.history.model
    with connection.cursor() as cursor:  # the audit tables are append-only (registry.tamper)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks: ALTER may run
        cursor.execute(f"ALTER TABLE {history._meta.db_table} DISABLE TRIGGER {TRIGGER}")
    history.objects.update(history_id=F("history_id") + 100_000)
    row = history.objects.filter(id=mine.pk).order_by("-history_date").first()
    history.objects.filter(pk=row.pk).update(history_id=theirs.pk)
    with connection.cursor() as cursor:  # ALTER TABLE is rolled back with the test too
        cursor.execute(f"ALTER TABLE {history._meta.db_table} ENABLE TRIGGER {TRIGGER}")
    client.force_login(data_manager)
    assert client.get(admin_url(Titre, "history", theirs.pk)).status_code == 404
    assert client.get(admin_url(Titre, "history", mine.pk)).status_code == 200
