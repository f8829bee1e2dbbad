"""Queries in the admin: scoped to the data manager's centres, read-only, closed through the
service by the list's actions."""

from decimal import Decimal

import pytest
from django.urls import reverse

from queries.models import Query
from queries.services import query_raise
from queries.tests.conftest import recompute
from registry.models import Role
from registry.tests.factories import PatientFactory, member
from treatments.models import Series
from treatments.services import series_update

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:queries_query_changelist")


@pytest.fixture
def weight_query(treated) -> Query:
    second = Series.objects.get(patient=treated, number=2)
    series_update(series=second, version=second.version, data={"weight_kg": Decimal("90")})
    [query] = recompute(treated)
    return query


def test_a_data_manager_reads_their_centres_queries_only(client, data_manager, weight_query,
                                                         other_center):
    south = PatientFactory(center=other_center, code="MMN-777")
    query_raise(patient=south, message="South?", by=member(
        center=other_center, role=Role.DATA_MANAGER, username="dm_south"))
    client.force_login(data_manager)
    page = client.get(CHANGELIST, {"q": "MMN"}).content.decode()
    assert weight_query.patient.code in page and "MMN-777" not in page
    change = client.get(reverse("admin:queries_query_change", args=[weight_query.pk]))
    assert change.status_code == 200
    history = client.get(reverse("admin:queries_query_history", args=[weight_query.pk]))
    assert history.status_code == 200


def test_the_close_action_goes_through_the_service(client, data_manager, weight_query):
    client.force_login(data_manager)
    response = client.post(CHANGELIST, {"action": "close_confirmed",
                                        "_selected_action": [weight_query.pk]})
    assert response.status_code == 302
    weight_query.refresh_from_db()
    assert (weight_query.status, weight_query.close_reason, weight_query.closed_by,
            weight_query.version) == ("closed", "confirmed", data_manager, 2)
    assert weight_query.history.latest().history_source == "admin"


def test_nobody_adds_or_deletes_a_query_in_the_admin(client, data_manager, weight_query):
    client.force_login(data_manager)
    assert client.get(reverse("admin:queries_query_add")).status_code == 403
    assert client.get(reverse("admin:queries_query_delete",
                              args=[weight_query.pk])).status_code == 403

