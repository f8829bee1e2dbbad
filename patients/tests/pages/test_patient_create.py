from django.urls import reverse

from patients.models import Patient

URL = reverse("patients:new")


def _data(center, **extra):
    return {"code": "MMN-777", "center": center.pk, "sex": "F", "birth_year": "1960",
            "diagnosis": "mmn", "onset_year": "1990", "affected_nerves": ["R:median", "L:ulnar"],
            **extra}


def test_form_renders(client, clinician):
    client.force_login(clinician)
    response = client.get(URL)
    assert response.status_code == 200
    assert b'name="affected_nerves"' in response.content


def test_creates_a_patient_through_the_service(client, clinician, center):
    client.force_login(clinician)
    response = client.post(URL, _data(center))
    patient = Patient.objects.get(code="MMN-777")
    assert response["Location"] == reverse("patients:detail", args=[patient.pk])
    assert {(n.side, n.nerve) for n in patient.affected_nerves.all()} == {
        ("R", "median"), ("L", "ulnar")}
    assert patient.outcome.stale


def test_errors_next_to_fields_and_typed_values_kept(client, clinician, center):
    client.force_login(clinician)
    response = client.post(URL, _data(center, code="bad code", onset_year="1950"))
    assert response.status_code == 200
    form = response.context["form"]
    assert "code" in form.errors
    assert b'value="bad code"' in response.content


def test_model_rule_reaches_the_form(client, clinician, center):
    client.force_login(clinician)
    response = client.post(URL, _data(center, birth_year="1970", onset_year="1960"))
    assert response.status_code == 200
    assert "Onset year cannot be before the birth year." in str(response.context["form"].errors)
    assert not Patient.objects.filter(code="MMN-777").exists()


def test_other_centre_is_not_offered(client, clinician, other_center):
    client.force_login(clinician)
    response = client.post(URL, _data(other_center))
    assert "center" in response.context["form"].errors


def test_researcher_cannot_create(client, researcher):
    client.force_login(researcher)
    assert client.get(URL).status_code == 403


def test_edit_refuses_a_stale_version(client, clinician, patient, center):
    url = reverse("patients:edit", args=[patient.pk])
    client.force_login(clinician)
    assert client.get(url).context["form"].initial["version"] == patient.version
    data = _data(center, code=patient.code, version=patient.version, notes="first")
    assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "notes": "second"})
    assert "changed by someone else" in response.content.decode()
    patient.refresh_from_db()
    assert patient.notes == "first"
    assert {(n.side, n.nerve) for n in patient.affected_nerves.all()} == {
        ("R", "median"), ("L", "ulnar")}


def test_edit_of_another_centre_is_404(client, clinician, other_patient):
    client.force_login(clinician)
    assert client.get(reverse("patients:edit", args=[other_patient.pk])).status_code == 404
