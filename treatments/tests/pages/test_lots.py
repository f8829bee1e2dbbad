from django.urls import reverse

from registry.tests.factories import SeriesFactory
from treatments.models import LotNumber


def test_lot_recipients_of_the_users_centres_only(client, clinician, patient, other_patient):
    for p in (patient, other_patient):
        LotNumber.objects.create(series=SeriesFactory(patient=p, number=1), lot="BT94-0214")
    client.force_login(clinician)
    response = client.get(reverse("treatments:lots"), {"lot": "bt94-0214"})
    assert response.status_code == 200
    assert [r["code"] for r in response.context["rows"]] == ["MMN-900"]


def test_empty_lookup(client, clinician):
    client.force_login(clinician)
    response = client.get(reverse("treatments:lots"))
    assert response.status_code == 200
    assert response.context["rows"] == []
