"""Reads of the queries for other surfaces: the worklist's open queries."""

from decimal import Decimal

import pytest

from queries.models import Query
from queries.services import query_raise
from queries.tests.conftest import recompute
from registry.tests.factories import PatientFactory
from treatments.models import Series
from treatments.services import series_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def weight_query(treated) -> Query:
    second = Series.objects.get(patient=treated, number=2)
    series_update(series=second, version=second.version, data={"weight_kg": Decimal("90")})
    [query] = recompute(treated)
    return query


def test_the_worklist_lists_the_open_queries_of_the_users_centres(clinician, researcher,
                                                                  weight_query, other_center,
                                                                  data_manager):
    from queries.selectors import worklist_open_queries
    from queries.services import query_answer

    south = PatientFactory(center=other_center, code="MMN-778")
    query_raise(patient=south, message="South?", by=data_manager)
    [row] = worklist_open_queries(clinician)
    assert (row["patient"], row["code"], row["query"], row["rule"]) == (
        weight_query.patient_id, weight_query.patient.code, weight_query.pk, "weight_change")
    assert worklist_open_queries(researcher) == []
    query_answer(query=weight_query, version=1, answer="ok", by=clinician)
    assert worklist_open_queries(clinician) == []  # answered: the data manager's turn
