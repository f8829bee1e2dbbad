"""What each role may and may not do on its own centre, surface by surface: the HTTP answer
of each surface (API, pages, admin, exports, imports) and the ``registry.scoping`` question
that surface asks in production, side by side."""

from __future__ import annotations

import pytest
from django.urls import reverse

from patients.models import Identity, Titre
from registry.scoping import (
    IDENTIFIER_FIELDS,
    can_admin_write,
    can_export,
    can_export_identifiers,
    can_import,
    can_import_into,
    can_manage_reference_data,
    can_see_identifiers,
    can_write,
)
from registry.tests.api.helpers import api
from registry.tests.trust import identifiers_in

pytestmark = pytest.mark.django_db

TITRE = {"sampled_on": "1994-01-01", "antigen": "gm1", "isotype": "IgM", "method": "elisa",
         "unit": "dilution", "value": "800"}
#            API write, page write, admin write, identifiers, bulk export
MAY = {
    "clinician": (True, True, False, True, False),
    "data_manager": (True, True, True, True, True),
    "researcher": (False, False, False, False, True),
}
#                 export identifiers, import, own centre's reference data
MAY_EXCHANGE = {
    "clinician": (False, False, False),
    "data_manager": (True, True, True),
    "researcher": (False, False, False),
}


@pytest.mark.parametrize("role", sorted(MAY))
def test_what_each_role_may_do_on_its_own_centre(client, request, role, world):
    user = request.getfixturevalue(role)
    api_write, page_write, admin_write, identifiers, export = MAY[role]
    mine = world.mine

    response = api(user).post("/api/v1/titres/", {**TITRE, "patient": mine.pk}, format="json")
    assert response.status_code == (201 if api_write else 403)
    titre = Titre.objects.filter(patient=mine).first()
    response = api(user).patch(f"/api/v1/titres/{titre.pk}/", {"version": titre.version,
                                                               "value": 1}, format="json")
    assert response.status_code == (200 if api_write else 403)

    client.force_login(user)
    response = client.post(reverse("patients:titre_new", args=[mine.pk]), TITRE)
    assert response.status_code == (302 if page_write else 403)

    response = client.post(reverse("admin:patients_titre_add"), {**TITRE, "patient": mine.pk})
    assert (response.status_code == 302 and "/admin/login/" not in response.url) is admin_write

    detail = api(user).get(f"/api/v1/patients/{mine.pk}/").content.decode()
    page = client.get(reverse("patients:detail", args=[mine.pk])).content.decode()
    assert bool(identifiers_in(detail)) is identifiers
    assert bool(identifiers_in(page)) is identifiers

    for url in ("/reports/table1.csv", "/reports/table2.csv"):  # report exports: every role
        csv = client.get(url)
        assert csv.status_code == 200 and not identifiers_in(csv.content.decode())

    centre = mine.center_id
    assert can_write(user, centre) is api_write
    assert can_admin_write(user, centre) is admin_write
    assert can_see_identifiers(user, centre) is identifiers
    assert can_export(user) is export


def status(response) -> int:
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)  # an export is written as it streams
    return response.status_code


@pytest.mark.parametrize("role", sorted(MAY))
def test_what_each_role_may_export_and_import(client, request, role, world):
    """The export and import pages and the export API answer as the policy says."""
    user = request.getfixturevalue(role)
    export = MAY[role][4]
    export_identifiers, import_, reference_data = MAY_EXCHANGE[role]
    client.force_login(user)

    assert status(client.get(reverse("exchange:exports"))) == (200 if export else 403)
    page_file = reverse("exchange:export_file", args=["patients", "csv"])
    assert status(client.get(page_file)) == (200 if export else 403)
    assert status(client.get(page_file, {"identifiers": "on"})) == (
        200 if export_identifiers else 403)
    assert status(api(user).get("/api/v1/exports/patients/", {"format": "csv"})) == (
        200 if export else 403)
    assert status(api(user).get("/api/v1/exports/patients/",
                                {"format": "csv", "identifiers": "true"})) == (
        200 if export_identifiers else 403)
    assert status(client.get(reverse("exchange:imports"))) == (200 if import_ else 403)

    assert can_export(user) is export
    assert can_export_identifiers(user) is export_identifiers
    assert can_import(user) is import_
    assert can_import_into(user, world.mine.center_id) is import_
    assert can_import_into(user, world.theirs.center_id) is False
    assert can_manage_reference_data(user, center_id=world.mine.center_id) is reference_data
    assert can_manage_reference_data(user, center_id=world.theirs.center_id) is False
    assert can_manage_reference_data(user) is False  # the general rows: superusers only


def test_a_superuser_sees_every_centre_and_every_identifier(superuser, world):
    codes = {p["code"] for p in api(superuser).get("/api/v1/patients/").json()["results"]}
    assert codes == {world.mine.code, world.theirs.code}
    theirs = api(superuser).get(f"/api/v1/patients/{world.theirs.pk}/").json()
    assert set(theirs["identity"]) == set(IDENTIFIER_FIELDS)
    assert can_manage_reference_data(superuser)
    assert can_manage_reference_data(superuser, center_id=world.theirs.center_id)
    assert can_import_into(superuser, world.theirs.center_id)


def test_identifier_fields_are_the_identity_models():
    fields = {f.name for f in Identity._meta.concrete_fields} - {"id", "patient"}
    assert fields == set(IDENTIFIER_FIELDS)
