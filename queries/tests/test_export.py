"""The ``queries`` dataset of the exports (exchange/datasets.py)."""

import json
from decimal import Decimal

import pytest

from exchange.datasets import BY_NAME
from exchange.tests.helpers import export_rows
from queries.services import query_answer, query_close, query_raise
from queries.tests.conftest import recompute
from treatments.models import Series
from treatments.services import series_update

pytestmark = pytest.mark.django_db


def test_queries_are_exported_with_their_values_answer_and_closing(
        data_manager, clinician, treated, other_patient):
    second = Series.objects.get(patient=treated, number=2)
    series_update(series=second, version=second.version, data={"weight_kg": Decimal("90")})
    [weight] = recompute(treated)
    query_answer(query=weight, version=1, answer="Weighed again.", by=clinician)
    weight.refresh_from_db()
    query_close(query=weight, version=2, by=data_manager, reason="confirmed")
    manual = query_raise(patient=treated, message="Consent version?", by=data_manager)
    query_raise(patient=other_patient, message="Not mine", by=data_manager)

    rows = export_rows(data_manager, "queries")
    assert list(rows[0]) == BY_NAME["queries"].header()
    assert [row["query"] for row in rows] == [str(weight.pk), str(manual.pk)]  # north only
    first = rows[0]
    assert (first["patient"], first["rule"], first["record"], first["record_id"]) == (
        "MMN-900", "weight_change", "series", str(second.pk))
    assert json.loads(first["values"]) == {"previous_series": 1, "previous_weight_kg": 70,
                                           "weight_kg": 90}
    assert (first["status"], first["answer"], first["answered_by"], first["closed_by"],
            first["close_reason"]) == ("closed", "Weighed again.", "clinician",
                                       "data_manager", "confirmed")
    assert (rows[1]["rule"], rows[1]["raised_by"], rows[1]["values"]) == (
        "manual", "data_manager", "")
