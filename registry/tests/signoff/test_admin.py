"""Sign-off in the admin: a signed visit or series is shown read-only with its signature,
its inlines too, and neither its change nor its deletion goes through."""

import pytest
from django.test import Client
from django.urls import reverse

from patients.models import MrcGrade, Visit
from registry.tests.admin_forms import posted_form
from registry.tests.signoff.conftest import PASSWORD
from treatments import services as treatment_services
from treatments.models import LotNumber, Series

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_dm(data_manager) -> Client:
    client = Client()
    client.force_login(data_manager)
    return client


def test_a_signed_visit_is_read_only_with_its_signature(admin_client_dm, signed_visit):
    url = reverse("admin:patients_visit_change", args=[signed_visit.pk])
    response = admin_client_dm.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "signed by clinician on" in page and "read-only" in page
    assert 'name="_save"' not in page
    assert 'name="mrc-0-grade"' not in page  # the MRC inline is read-only too
    assert response.context["has_change_permission"] is False


def test_a_post_to_a_signed_visit_changes_nothing(admin_client_dm, visit, clinician):
    url = reverse("admin:patients_visit_change", args=[visit.pk])
    form = posted_form(admin_client_dm.get(url))  # opened before the signature
    from patients import services
    services.visit_sign(visit=visit, password=PASSWORD, by=clinician)
    response = admin_client_dm.post(url, {**form, "examiner": "Dr Z", "mrc-0-grade": "5"})
    assert response.status_code == 403
    stored = Visit.objects.get()
    assert stored.examiner == "Dr A" and MrcGrade.objects.get().grade == 3


def test_a_signed_visit_cannot_be_deleted_in_the_admin(admin_client_dm, signed_visit):
    url = reverse("admin:patients_visit_delete", args=[signed_visit.pk])
    assert admin_client_dm.post(url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:patients_visit_changelist")
    response = admin_client_dm.post(changelist, {
        "action": "delete_selected", "_selected_action": [signed_visit.pk], "post": "yes"})
    assert response.status_code == 403  # Django's own check: no delete permission on it
    assert Visit.objects.filter(pk=signed_visit.pk).exists()


def test_an_unsigned_visit_is_still_edited_in_the_admin(admin_client_dm, visit):
    url = reverse("admin:patients_visit_change", args=[visit.pk])
    form = posted_form(admin_client_dm.get(url))
    response = admin_client_dm.post(url, {**form, "examiner": "Dr Z"})
    assert response.status_code == 302
    assert Visit.objects.get().examiner == "Dr Z"


def test_a_signed_series_and_its_lots_are_read_only(admin_client_dm, signed_series):
    url = reverse("admin:treatments_series_change", args=[signed_series.pk])
    response = admin_client_dm.get(url)
    page = response.content.decode()
    assert "signed by clinician on" in page
    assert 'name="_save"' not in page and 'name="lots-0-lot"' not in page
    assert response.context["has_change_permission"] is False


def test_the_changelist_shows_the_signer(admin_client_dm, signed_series):
    page = admin_client_dm.get(reverse("admin:treatments_series_changelist")).content.decode()
    assert "clinician" in page


def test_an_unlocked_series_is_editable_again(admin_client_dm, data_manager, signed_series):
    treatment_services.series_unlock(series=signed_series, reason="lot", by=data_manager)
    url = reverse("admin:treatments_series_change", args=[signed_series.pk])
    form = posted_form(admin_client_dm.get(url))
    response = admin_client_dm.post(url, {**form, "lots-0-lot": "LOT-9"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(LotNumber.objects.values_list("lot", flat=True)) == ["LOT-9"]
    assert Series.objects.get().signed_at is None
