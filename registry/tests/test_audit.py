"""Every create, update and delete of clinical data is audited: who, when, what changed and
from where (page, API, admin or command), readable in the API, on the page and in the admin."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse

from patients import services
from patients.models import Titre
from registry.audit import audit_source
from registry.tests.api.helpers import api
from registry.tests.factories import TitreFactory

pytestmark = pytest.mark.django_db

TITRE = {"sampled_on": "1994-01-01", "antigen": "gm1", "isotype": "IgM", "method": "elisa",
         "unit": "dilution"}


def entries(user, patient) -> list[dict]:
    response = api(user).get(f"/api/v1/patients/{patient.pk}/history/")
    assert response.status_code == 200
    return response.json()["results"]


def test_an_api_create_update_and_delete_are_audited_with_their_source(clinician, patient):
    client = api(clinician)
    created = client.post("/api/v1/titres/", {**TITRE, "patient": patient.pk, "value": 800},
                          format="json").json()
    client.patch(f"/api/v1/titres/{created['id']}/", {"version": 1, "value": 1600},
                 format="json")
    client.delete(f"/api/v1/titres/{created['id']}/")
    titre_entries = [e for e in entries(clinician, patient) if e["model"] == "titre"]
    assert [e["action"] for e in titre_entries] == ["deleted", "updated", "created"]
    assert {e["user"] for e in titre_entries} == {"clinician"}
    assert {e["source"] for e in titre_entries} == {"api"}
    assert titre_entries[1]["changes"]["value"] == [800, 1600]
    assert set(titre_entries[0]) == {"at", "user", "action", "model", "object_id", "changes",
                                     "source", "reason"}
    assert {e["reason"] for e in titre_entries} == {None}  # only signings and unlocks have one


def test_a_page_edit_is_audited_as_page(client, clinician, patient):
    client.force_login(clinician)
    url = reverse("patients:titre_new", args=[patient.pk])
    assert client.post(url, {**TITRE, "value": "3200"}).status_code == 302
    entry = next(e for e in entries(clinician, patient) if e["model"] == "titre")
    assert (entry["action"], entry["user"], entry["source"]) == ("created", "clinician", "page")


def test_an_admin_edit_is_audited_as_admin(client, data_manager, patient):
    titre = TitreFactory(patient=patient)
    client.force_login(data_manager)
    url = reverse("admin:patients_titre_change", args=[titre.pk])
    response = client.post(url, {**TITRE, "patient": patient.pk, "value": "6400",
                                 "read_version": titre.version})
    assert response.status_code == 302, response.content
    entry = next(e for e in entries(data_manager, patient) if e["action"] == "updated")
    assert (entry["user"], entry["source"]) == ("data_manager", "admin")
    assert entry["changes"]["value"] == [3200, 6400]


def test_a_command_and_an_import_are_audited_as_such(clinician, patient):
    services.titre_record(patient=patient, data={**TITRE, "sampled_on": date(1994, 1, 1),
                                                 "value": 100})
    with audit_source("import"):
        services.prior_treatment_record(patient=patient, data={"kind": "steroids"})
    sources = {e["model"]: e["source"] for e in entries(clinician, patient)}
    assert sources["titre"] == "command" and sources["priortreatment"] == "import"


def test_nested_rows_are_audited_too(clinician, patient):
    client = api(clinician)
    visit = client.post("/api/v1/visits/", {
        "patient": patient.pk, "visited_on": "1994-01-01", "kind": "baseline",
        "mrc": [{"muscle": "deltoid", "side": "R", "grade": 3}]}, format="json").json()
    client.patch(f"/api/v1/visits/{visit['id']}/", {
        "version": 1, "mrc": [{"muscle": "deltoid", "side": "R", "grade": 4}]}, format="json")
    grades = [e for e in entries(clinician, patient) if e["model"] == "mrcgrade"]
    assert [e["action"] for e in grades] == ["created", "deleted", "created"]
    assert {e["source"] for e in grades} == {"api"}


def test_the_patient_page_history_tab_shows_who_and_from_where(client, clinician, patient):
    api(clinician).post("/api/v1/titres/", {**TITRE, "patient": patient.pk, "value": 800},
                        format="json")
    client.force_login(clinician)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    history = page[page.index('id="history"'):]
    assert "<th>From</th>" in history
    assert '<td class="source">api</td>' in history
    assert "clinician" in history and "titre" in history


def test_the_admin_history_of_a_record_shows_the_source(client, data_manager, patient):
    titre = api(data_manager).post(
        "/api/v1/titres/", {**TITRE, "patient": patient.pk, "value": 800}, format="json"
    ).json()
    client.force_login(data_manager)
    page = client.get(reverse("admin:patients_titre_history", args=[titre["id"]]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "api" in text and "data_manager" in text


def test_role_changes_are_audited(center, monkeypatch):
    monkeypatch.setenv("REGISTRY_PASSWORD", "a-long-password-1")
    call_command("grant", "alice", "--centre", center.code, "--role", "clinician", "--create")
    call_command("grant", "alice", "--centre", center.code, "--role", "researcher")
    from registry.models import Membership

    rows = Membership.history.filter(user__username="alice").order_by("history_date")
    assert [(r.history_type, r.role, r.history_source) for r in rows] == [
        ("+", "clinician", "command"), ("~", "researcher", "command")]


def test_a_deleted_record_keeps_its_trail(clinician, patient):
    titre = TitreFactory(patient=patient)
    pk = titre.pk
    services.record_delete(record=titre, by=clinician)
    assert not Titre.objects.filter(pk=pk).exists()
    rows = Titre.history.filter(id=pk).order_by("history_date")
    assert [r.history_type for r in rows] == ["+", "-"]
    assert rows.last().history_user == clinician
