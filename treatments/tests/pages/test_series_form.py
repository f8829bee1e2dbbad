from decimal import Decimal

from django.urls import reverse

from registry.tests.factories import SeriesFactory
from treatments.models import Series


def new_url(patient):
    return reverse("treatments:series_new", args=[patient.pk])


def _data(**extra):
    return {"number": "1", "started_on": "1994-01-10", "days": "5", "dose_g_per_kg": "2.0",
            "weight_kg": "70", "product": "IVIg", "status": "given", "stop_reason": "",
            "lot_numbers": "A1, B2\nC3\n\nA1", "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0", **extra}


def test_defaults_next_number_dose_and_last_weight(client, clinician, patient):
    SeriesFactory(patient=patient, number=1, weight_kg=Decimal("82.5"))
    client.force_login(clinician)
    form = client.get(new_url(patient)).context["form"]
    assert form.initial["number"] == 2
    assert form.initial["dose_g_per_kg"] == "2.0"
    assert form.initial["weight_kg"] == Decimal("82.5")


def test_gives_a_series_with_its_lots(client, clinician, patient):
    client.force_login(clinician)
    assert client.post(new_url(patient), _data()).status_code == 302
    series = Series.objects.get(patient=patient)
    assert [lot.lot for lot in series.lots.all()] == ["A1", "B2", "C3"]


def test_errors_on_fields_and_values_kept(client, clinician, patient):
    client.force_login(clinician)
    response = client.post(new_url(patient), _data(number="3", dose_g_per_kg="5"))
    assert response.status_code == 200
    form = response.context["form"]
    assert "dose_g_per_kg" in form.errors
    assert b'value="70"' in response.content
    response = client.post(new_url(patient), _data(number="3"))
    assert "next series of MMN-900 is number 1" in str(response.context["form"].errors["number"])
    assert not Series.objects.exists()


def test_scoping_and_roles(client, clinician, researcher, patient, other_patient):
    client.force_login(clinician)
    assert client.get(new_url(other_patient)).status_code == 404
    client.force_login(researcher)
    assert client.post(new_url(patient), _data()).status_code == 403


def test_edit_refuses_a_stale_version(client, clinician, patient):
    series = SeriesFactory(patient=patient, number=1)
    url = reverse("treatments:series_edit", args=[patient.pk, series.pk])
    client.force_login(clinician)
    assert client.get(url).status_code == 200
    assert client.post(url, _data(version=series.version, weight_kg="71")).status_code == 302
    response = client.post(url, _data(version=series.version, weight_kg="99"))
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    series.refresh_from_db()
    assert series.weight_kg == Decimal("71")


def _events(**row):
    data = {"events-TOTAL_FORMS": "2", "events-INITIAL_FORMS": "0",
            "events-MIN_NUM_FORMS": "0", "events-MAX_NUM_FORMS": "1000"}
    data.update({f"events-0-{k}": v for k, v in row.items()})
    return data


def test_adverse_events_recorded_and_errors_shown(client, clinician, patient):
    client.force_login(clinician)
    response = client.post(new_url(patient), {**_data(), **_events(kind="rash",
                                                                    severity="awful")})
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["severity"]
    assert not Series.objects.exists()
    response = client.post(new_url(patient), {**_data(), **_events(
        kind="rash", severity="mild", led_to_stop="on")})
    assert response.status_code == 302
    event = Series.objects.get().adverse_events.get()
    assert (event.kind, event.severity, event.led_to_stop) == ("rash", "mild", True)
