"""Sign-off on the API (api.md, 2026-12-01): sign, unlock, and 423 for every write of a
signed visit or series, nested lists included."""

import pytest

from patients.models import MrcGrade, Visit
from registry.tests.api.helpers import api
from registry.tests.signoff.conftest import PASSWORD
from treatments.models import LotNumber, Series

pytestmark = pytest.mark.django_db

VISITS, SERIES = "/api/v1/visits/", "/api/v1/series/"


def test_a_clinician_signs_a_visit_with_their_password(clinician, visit):
    response = api(clinician).post(f"{VISITS}{visit.pk}/sign/", {"password": PASSWORD},
                                   format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["signed_by"] == "clinician"
    assert body["signed_at"] is not None
    assert body["version"] == visit.version + 1
    assert body["mrc"] == [{"muscle": "deltoid", "side": "R", "grade": 3}]
    assert Visit.objects.get().signed_by == clinician


def test_a_wrong_password_is_403_and_signs_nothing(clinician, visit):
    response = api(clinician).post(f"{VISITS}{visit.pk}/sign/", {"password": "nope"},
                                   format="json")
    assert response.status_code == 403
    assert "password" in response.json()["detail"].lower()
    assert Visit.objects.get().signed_at is None


def test_a_missing_password_is_400_naming_it(clinician, visit):
    response = api(clinician).post(f"{VISITS}{visit.pk}/sign/", {}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()


@pytest.mark.parametrize("who", ["data_manager", "researcher", "superuser"])
def test_only_a_clinician_of_the_centre_signs(request, who, visit):
    user = request.getfixturevalue(who)
    response = api(user).post(f"{VISITS}{visit.pk}/sign/", {"password": PASSWORD},
                              format="json")
    assert response.status_code == 403
    assert Visit.objects.get().signed_at is None


def test_another_centre_clinician_gets_404(other_centre_clinician, visit):
    response = api(other_centre_clinician).post(f"{VISITS}{visit.pk}/sign/",
                                                {"password": PASSWORD}, format="json")
    assert response.status_code == 404


def test_signing_a_signed_visit_is_423(clinician, signed_visit):
    response = api(clinician).post(f"{VISITS}{signed_visit.pk}/sign/", {"password": PASSWORD},
                                   format="json")
    assert response.status_code == 423
    assert "signed" in response.json()["detail"]


def _visit_body(visit, **changes):
    return {"patient": visit.patient_id, "visited_on": "1994-01-03", "kind": "baseline",
            "series": None, "examiner": "Dr B", "mrc": [], "version": visit.version,
            **changes}


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("who", ["clinician", "data_manager"])
def test_every_write_of_a_signed_visit_is_423(request, method, who, signed_visit):
    client = api(request.getfixturevalue(who))
    url = f"{VISITS}{signed_visit.pk}/"
    if method == "delete":
        response = client.delete(url)
    else:
        body = _visit_body(signed_visit) if method == "put" else {
            "examiner": "Dr B", "version": signed_visit.version}
        response = getattr(client, method)(url, body, format="json")
    assert response.status_code == 423, response.content
    assert "signed by clinician on" in response.json()["detail"]
    stored = Visit.objects.get()
    assert (stored.examiner, stored.version) == ("Dr A", signed_visit.version)


def test_the_mrc_grid_of_a_signed_visit_is_locked(clinician, signed_visit):
    response = api(clinician).patch(f"{VISITS}{signed_visit.pk}/", {
        "mrc": [{"muscle": "deltoid", "side": "R", "grade": 5}],
        "version": signed_visit.version}, format="json")
    assert response.status_code == 423
    assert list(MrcGrade.objects.values_list("grade", flat=True)) == [3]


def test_a_data_manager_unlocks_with_a_reason_then_the_clinician_edits(
        clinician, data_manager, signed_visit):
    response = api(data_manager).post(f"{VISITS}{signed_visit.pk}/unlock/",
                                      {"reason": "Wrong examiner recorded"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["signed_by"], body["signed_at"]) == (None, None)
    response = api(clinician).patch(f"{VISITS}{signed_visit.pk}/", {
        "examiner": "Dr B", "version": body["version"]}, format="json")
    assert response.status_code == 200, response.json()
    assert Visit.objects.get().examiner == "Dr B"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_unlock_needs_a_reason(data_manager, signed_visit, reason):
    body = {} if reason is None else {"reason": reason}
    response = api(data_manager).post(f"{VISITS}{signed_visit.pk}/unlock/", body,
                                      format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    assert Visit.objects.get().signed_at is not None


@pytest.mark.parametrize("who", ["clinician", "researcher"])
def test_only_a_data_manager_unlocks(request, who, signed_visit):
    response = api(request.getfixturevalue(who)).post(
        f"{VISITS}{signed_visit.pk}/unlock/", {"reason": "typo"}, format="json")
    assert response.status_code == 403
    assert Visit.objects.get().signed_at is not None


def test_a_superuser_unlocks(superuser, signed_visit):
    response = api(superuser).post(f"{VISITS}{signed_visit.pk}/unlock/", {"reason": "typo"},
                                   format="json")
    assert response.status_code == 200


def test_unlocking_an_unsigned_visit_is_400(data_manager, visit):
    response = api(data_manager).post(f"{VISITS}{visit.pk}/unlock/", {"reason": "typo"},
                                      format="json")
    assert response.status_code == 400
    assert "not signed" in response.json()["non_field_errors"][0]


def test_signature_fields_are_read_only(clinician, visit):
    response = api(clinician).patch(f"{VISITS}{visit.pk}/", {
        "signed_by": "clinician", "signed_at": "2020-01-01T00:00:00Z",
        "version": visit.version}, format="json")
    assert response.status_code == 200
    assert (response.json()["signed_by"], response.json()["signed_at"]) == (None, None)


# Series: the same contract; its lots and adverse events are part of the signed record.

def test_a_clinician_signs_a_series(clinician, series):
    response = api(clinician).post(f"{SERIES}{series.pk}/sign/", {"password": PASSWORD},
                                   format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["signed_by"] == "clinician"
    assert response.json()["lot_numbers"] == ["LOT-1"]


def test_a_wrong_password_on_a_series_is_403(clinician, series):
    response = api(clinician).post(f"{SERIES}{series.pk}/sign/", {"password": "x"},
                                   format="json")
    assert response.status_code == 403
    assert Series.objects.get().signed_at is None


@pytest.mark.parametrize("body", [
    {"weight_kg": 80},
    {"lot_numbers": ["LOT-2"]},
    {"adverse_events": []},
])
def test_writes_of_a_signed_series_and_its_lists_are_423(clinician, signed_series, body):
    response = api(clinician).patch(f"{SERIES}{signed_series.pk}/",
                                    {**body, "version": signed_series.version}, format="json")
    assert response.status_code == 423
    assert "signed" in response.json()["detail"]
    stored = Series.objects.get()
    assert stored.weight_kg == 70
    assert list(LotNumber.objects.values_list("lot", flat=True)) == ["LOT-1"]
    assert stored.adverse_events.count() == 1


def test_put_of_a_signed_series_is_423(clinician, signed_series):
    response = api(clinician).put(f"{SERIES}{signed_series.pk}/", {
        "patient": signed_series.patient_id, "number": 1, "started_on": "1994-01-10",
        "days": 5, "dose_g_per_kg": 2.0, "weight_kg": 72, "product": "IVIg",
        "status": "given", "version": signed_series.version}, format="json")
    assert response.status_code == 423


def test_a_series_is_unlocked_with_a_reason(data_manager, signed_series):
    response = api(data_manager).post(f"{SERIES}{signed_series.pk}/unlock/",
                                      {"reason": "Lot misread"}, format="json")
    assert response.status_code == 200
    assert Series.objects.get().unlock_reason == "Lot misread"
    response = api(data_manager).post(f"{SERIES}{signed_series.pk}/unlock/", {},
                                      format="json")
    assert response.status_code == 400


def test_a_signed_series_still_takes_new_visits(clinician, signed_series):
    """The signature covers the series' own data: a visit linked to it is another record."""
    response = api(clinician).post(VISITS, {
        "patient": signed_series.patient_id, "visited_on": "1994-01-20",
        "kind": "post_series", "series": signed_series.pk, "mrc": []}, format="json")
    assert response.status_code == 201, response.json()


def test_the_schema_documents_sign_off(clinician):
    schema = api(clinician).get("/api/v1/schema/?format=json").json()
    visit = schema["paths"]["/api/v1/visits/{id}/"]
    for method in ("put", "patch", "delete"):
        assert "423" in visit[method]["responses"]
    assert "423" in schema["paths"]["/api/v1/series/{id}/"]["patch"]["responses"]
    sign = schema["paths"]["/api/v1/visits/{id}/sign/"]["post"]
    assert "403" in sign["responses"] and "423" in sign["responses"]
    assert "/api/v1/series/{id}/unlock/" in schema["paths"]
    visit_schema = schema["components"]["schemas"]["Visit"]["properties"]
    assert visit_schema["signed_by"]["readOnly"] and visit_schema["signed_at"]["readOnly"]
    series_schema = schema["components"]["schemas"]["Series"]["properties"]
    assert series_schema["signed_at"]["readOnly"]


@pytest.mark.django_db(transaction=True)  # the API's own write transaction, for real
def test_wrong_password_re_entries_count_towards_the_lockout(clinician, visit, settings):
    client = api(clinician)
    url = f"{VISITS}{visit.pk}/sign/"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"password": "wrong"}, format="json")
        assert response.status_code == 403
        assert response.json()["detail"] == "Wrong password: the record was not signed."
    locked = client.post(url, {"password": "wrong"}, format="json")
    assert locked.status_code == 403 and "locked" in locked.json()["detail"]
    right = client.post(url, {"password": PASSWORD}, format="json")  # even the right one
    assert right.status_code == 403 and "locked" in right.json()["detail"]
    assert Visit.objects.get().signed_at is None
    signing_in = api().post("/api/v1/auth/token/", {"username": "clinician",
                                                     "password": PASSWORD}, format="json")
    assert signing_in.status_code == 429  # the same lockout as the sign-in's
