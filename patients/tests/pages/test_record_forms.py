import pytest
from django.urls import reverse

from patients.models import Paraprotein, PriorTreatment, Titre
from registry.tests.factories import TitreFactory

FORMS = [
    ("titre", Titre, {"sampled_on": "1994-01-01", "antigen": "gm1", "isotype": "IgM",
                      "method": "elisa", "value": "3200", "unit": "dilution"}, "value", "-1"),
    ("paraprotein", Paraprotein, {"measured_on": "1994-01-01", "isotype": "IgM",
                                  "light_chain": "kappa", "serum_level_g_l": "4.5"},
     "serum_level_g_l", "500"),
    ("prior_treatment", PriorTreatment, {"kind": "steroids", "started_on": "1990-01-01",
                                         "ended_on": "1991-01-01", "notes": ""},
     "kind", "nonsense"),
]


@pytest.mark.parametrize(("name", "model", "data", "bad_field", "bad_value"), FORMS)
def test_create_and_field_errors(client, clinician, patient, name, model, data, bad_field,
                                 bad_value):
    url = reverse(f"patients:{name}_new", args=[patient.pk])
    client.force_login(clinician)
    assert client.get(url).status_code == 200
    response = client.post(url, {**data, bad_field: bad_value})
    assert response.status_code == 200
    assert bad_field in response.context["form"].errors
    assert not model.objects.exists()
    assert client.post(url, data).status_code == 302
    assert model.objects.get().patient == patient


@pytest.mark.parametrize("name", ["titre", "paraprotein", "prior_treatment"])
def test_other_centre_is_404(client, clinician, other_patient, name):
    client.force_login(clinician)
    url = reverse(f"patients:{name}_new", args=[other_patient.pk])
    assert client.get(url).status_code == 404


def test_prior_treatment_dates_rule_on_the_form(client, clinician, patient):
    client.force_login(clinician)
    url = reverse("patients:prior_treatment_new", args=[patient.pk])
    response = client.post(url, {"kind": "steroids", "started_on": "1991-01-01",
                                 "ended_on": "1990-01-01"})
    assert "cannot end before it started" in str(response.context["form"].errors)


def test_titre_edit_refuses_a_stale_version(client, clinician, patient):
    titre = TitreFactory(patient=patient)
    url = reverse("patients:titre_edit", args=[patient.pk, titre.pk])
    data = {"sampled_on": "1994-01-01", "antigen": "gm1", "isotype": "IgM", "method": "elisa",
            "unit": "dilution"}
    client.force_login(clinician)
    assert client.get(url).context["form"].initial["version"] == titre.version
    assert client.post(url, {**data, "value": "100", "version": titre.version}).status_code == 302
    response = client.post(url, {**data, "value": "999", "version": titre.version})
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    titre.refresh_from_db()
    assert titre.value == 100


def test_titre_of_another_patient_is_404(client, clinician, patient, other_patient):
    titre = TitreFactory(patient=other_patient)
    client.force_login(clinician)
    url = reverse("patients:titre_edit", args=[patient.pk, titre.pk])
    assert client.get(url).status_code == 404


def test_data_manager_may_write(client, data_manager, patient):
    client.force_login(data_manager)
    url = reverse("patients:titre_new", args=[patient.pk])
    assert client.post(url, FORMS[0][2]).status_code == 302
    assert Titre.objects.get().patient == patient


def test_researcher_may_not_write(client, researcher, patient):
    client.force_login(researcher)
    url = reverse("patients:titre_new", args=[patient.pk])
    assert client.post(url, FORMS[0][2]).status_code == 403
    assert not Titre.objects.exists()
