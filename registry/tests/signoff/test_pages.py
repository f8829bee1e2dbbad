"""Sign-off on the pages (ui.md, 2026-12-01): the Sign button, password re-entry, signed
records marked and read-only, unlocking with a reason."""

import pytest
from django.test import Client

from patients.models import Visit
from registry.tests.signoff.conftest import PASSWORD
from treatments.models import Series

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_patient_page_offers_sign_to_clinicians_only(clinician, data_manager, visit,
                                                         series):
    page = _client(clinician).get(f"/patients/{visit.patient_id}/").content.decode()
    assert f"/patients/{visit.patient_id}/visits/{visit.pk}/sign/" in page
    assert f"/patients/{visit.patient_id}/series/{series.pk}/sign/" in page
    page = _client(data_manager).get(f"/patients/{visit.patient_id}/").content.decode()
    assert "/sign/" not in page


def test_a_clinician_signs_a_visit_on_the_page(clinician, visit):
    url = f"/patients/{visit.patient_id}/visits/{visit.pk}/sign/"
    page = _client(clinician).get(url)
    assert page.status_code == 200
    assert "reviewed and confirmed" in page.content.decode()
    response = _client(clinician).post(url, {"password": PASSWORD})
    assert response.status_code == 302
    assert Visit.objects.get().signed_by == clinician
    detail = _client(clinician).get(response["Location"]).content.decode()
    assert "Signed by clinician on" in detail
    assert f"/visits/{visit.pk}/edit/" not in detail  # no edit link for a signed visit


def test_a_wrong_password_is_a_form_error(clinician, visit):
    response = _client(clinician).post(
        f"/patients/{visit.patient_id}/visits/{visit.pk}/sign/", {"password": "wrong"})
    assert response.status_code == 200
    assert "Wrong password" in response.content.decode()
    assert response.context["form"].errors["password"]
    assert Visit.objects.get().signed_at is None


def test_a_data_manager_may_not_open_the_sign_page(data_manager, visit):
    response = _client(data_manager).get(
        f"/patients/{visit.patient_id}/visits/{visit.pk}/sign/")
    assert response.status_code == 403


def test_the_edit_page_of_a_signed_visit_is_read_only(clinician, signed_visit):
    url = f"/patients/{signed_visit.patient_id}/visits/{signed_visit.pk}/edit/"
    page = _client(clinician).get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "signed by clinician on" in text and "read-only" in text
    assert "visit-form" not in text and "mrc_deltoid_R" not in text
    posted = _client(clinician).post(url, {"visited_on": "1994-01-03", "kind": "baseline",
                                           "examiner": "Dr B", "version": signed_visit.version})
    assert posted.status_code == 423
    assert Visit.objects.get().examiner == "Dr A"


def test_the_edit_page_of_a_signed_series_is_read_only(clinician, signed_series):
    url = f"/patients/{signed_series.patient_id}/series/{signed_series.pk}/edit/"
    text = _client(clinician).get(url).content.decode()
    assert "read-only" in text and "id_weight_kg" not in text


def test_a_data_manager_unlocks_with_a_reason(data_manager, clinician, signed_visit):
    url = f"/patients/{signed_visit.patient_id}/visits/{signed_visit.pk}/unlock/"
    detail = _client(data_manager).get(f"/patients/{signed_visit.patient_id}/").content
    assert url in detail.decode()
    missing = _client(data_manager).post(url, {"reason": "  "})
    assert missing.status_code == 200 and missing.context["form"].errors["reason"]
    assert Visit.objects.get().signed_at is not None
    response = _client(data_manager).post(url, {"reason": "Examiner misspelt"})
    assert response.status_code == 302
    assert Visit.objects.get().signed_at is None
    edit = _client(clinician).get(
        f"/patients/{signed_visit.patient_id}/visits/{signed_visit.pk}/edit/")
    assert "visit-form" in edit.content.decode()


def test_a_clinician_may_not_unlock(clinician, signed_visit):
    response = _client(clinician).post(
        f"/patients/{signed_visit.patient_id}/visits/{signed_visit.pk}/unlock/",
        {"reason": "x"})
    assert response.status_code == 403
    assert Visit.objects.get().signed_at is not None


def test_a_series_is_signed_and_unlocked_on_the_pages(clinician, data_manager, series):
    base = f"/patients/{series.patient_id}/series/{series.pk}"
    assert _client(clinician).post(f"{base}/sign/", {"password": PASSWORD}).status_code == 302
    assert Series.objects.get().signed_by == clinician
    detail = _client(clinician).get(f"/patients/{series.patient_id}/").content.decode()
    assert "Signed by clinician on" in detail and f"{base}/edit/" not in detail
    assert _client(data_manager).post(f"{base}/unlock/", {"reason": "lot"}).status_code == 302
    assert Series.objects.get().signed_at is None


def test_the_history_says_who_signed_and_who_unlocked_why(clinician, data_manager,
                                                          signed_visit):
    url = f"/patients/{signed_visit.patient_id}/visits/{signed_visit.pk}/unlock/"
    _client(data_manager).post(url, {"reason": "Examiner misspelt"})
    page = _client(data_manager).get(f"/patients/{signed_visit.patient_id}/").content.decode()
    assert "signed: reviewed and confirmed" in page
    assert '<td class="reason">unlocked</td>' in page
    assert "→ Examiner misspelt" in page


def test_another_centre_gets_404(other_centre_clinician, visit):
    response = _client(other_centre_clinician).get(
        f"/patients/{visit.patient_id}/visits/{visit.pk}/sign/")
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)  # no test transaction around the page's writes
def test_wrong_passwords_on_the_sign_page_lock_the_account(clinician, visit, settings):
    client = _client(clinician)
    url = f"/patients/{visit.patient_id}/visits/{visit.pk}/sign/"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"password": "wrong"})
    response = client.post(url, {"password": PASSWORD})
    assert "locked" in " ".join(response.context["form"].errors["password"])
    assert Visit.objects.get().signed_at is None
