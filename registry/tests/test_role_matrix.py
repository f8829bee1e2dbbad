"""What each role may and may not do on its own centre, surface by surface."""

from __future__ import annotations

import pytest
from django.urls import reverse

from patients.models import Identity, Titre
from registry.scoping import IDENTIFIER_FIELDS, can_export
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
    assert can_export(user) is export


def test_a_superuser_sees_every_centre_and_every_identifier(superuser, world):
    codes = {p["code"] for p in api(superuser).get("/api/v1/patients/").json()["results"]}
    assert codes == {world.mine.code, world.theirs.code}
    theirs = api(superuser).get(f"/api/v1/patients/{world.theirs.pk}/").json()
    assert set(theirs["identity"]) == set(IDENTIFIER_FIELDS)


def test_identifier_fields_are_the_identity_models():
    fields = {f.name for f in Identity._meta.concrete_fields} - {"id", "patient"}
    assert fields == set(IDENTIFIER_FIELDS)
