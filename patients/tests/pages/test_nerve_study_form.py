from django.urls import reverse

from patients.models import NerveStudy


def _data(version="", initial="0", **segment):
    row = {"nerve": "median", "side": "R", "distal_site": "wrist", "proximal_site": "elbow",
           "distal_amplitude_mv": "6.0", "proximal_amplitude_mv": "2.0", **segment}
    data = {"studied_on": "1994-01-01", "notes": "", "version": version,
            "segments-TOTAL_FORMS": "3", "segments-INITIAL_FORMS": initial,
            "segments-MIN_NUM_FORMS": "0", "segments-MAX_NUM_FORMS": "1000"}
    data.update({f"segments-0-{k}": v for k, v in row.items()})
    return data


def test_records_a_study_with_segments(client, clinician, patient):
    url = reverse("patients:nerve_study_new", args=[patient.pk])
    client.force_login(clinician)
    assert client.get(url).status_code == 200
    assert client.post(url, _data()).status_code == 302
    study = NerveStudy.objects.get(patient=patient)
    assert [(s.nerve, s.side, float(s.distal_amplitude_mv)) for s in study.segments.all()] == [
        ("median", "R", 6.0)]


def test_segment_errors_shown_and_nothing_saved(client, clinician, patient):
    url = reverse("patients:nerve_study_new", args=[patient.pk])
    client.force_login(clinician)
    response = client.post(url, _data(distal_amplitude_mv="-1"))
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["distal_amplitude_mv"]
    assert not NerveStudy.objects.exists()


def test_edit_refuses_a_stale_version(client, clinician, patient):
    client.force_login(clinician)
    client.post(reverse("patients:nerve_study_new", args=[patient.pk]), _data())
    study = NerveStudy.objects.get()
    url = reverse("patients:nerve_study_edit", args=[patient.pk, study.pk])
    assert len(client.get(url).context["formset"].initial) == 1
    assert client.post(url, _data(version=study.version, initial="1")).status_code == 302
    response = client.post(url, _data(version=study.version, initial="1", distal_site="palm"))
    assert "changed by someone else" in response.content.decode()
    assert study.segments.get().distal_site == "wrist"


def test_other_centre_is_404(client, clinician, other_patient):
    client.force_login(clinician)
    url = reverse("patients:nerve_study_new", args=[other_patient.pk])
    assert client.get(url).status_code == 404
