"""Exports stream: rows leave batch by batch, and memory does not grow with the registry."""

import tracemalloc
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import catalogues as cat
from exchange import services
from exchange.models import Source
from patients.models import MrcGrade, Visit
from registry.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

MUSCLES = [code for code, _ in cat.MUSCLES]


def registry(center, count: int, *, visits: int = 8, prefix: str = "P") -> None:
    """``count`` patients with ``visits`` visits of 30 MRC grades each (bulk, no services)."""
    patients = [PatientFactory(center=center, code=f"{prefix}-{n:05d}") for n in range(count)]
    made = Visit.objects.bulk_create([
        Visit(patient=p, visited_on=date(1994, 1, 1) + timedelta(days=28 * v), kind="follow_up")
        for p in patients for v in range(visits)
    ])
    MrcGrade.objects.bulk_create([
        MrcGrade(visit=visit, muscle=muscle, side=side, grade=(i % 6))
        for visit in made for i, muscle in enumerate(MUSCLES) for side in ("R", "L")
    ])


def test_the_page_streams_the_rows_batch_by_batch(client, data_manager, center, settings):
    settings.EXPORT_BATCH_SIZE = 2
    registry(center, 5, visits=1)
    client.force_login(data_manager)
    response = client.get("/exports/mrc.csv")
    assert response.status_code == 200 and response.streaming
    chunks = iter(response.streaming_content)
    assert next(chunks).startswith(b"patient,visited_on,kind,muscle,side,grade,target\n")
    with CaptureQueriesContext(connection) as queries:
        first = next(chunks).decode()
    # the cursor over the patient ids, then the first batch: outcomes' targets, grades
    assert len(queries) == 3
    assert {line.split(",")[0] for line in first.splitlines()} == {"P-00000", "P-00001"}
    rest = b"".join(chunks).decode()
    assert {line.split(",")[0] for line in rest.splitlines()} == {"P-00002", "P-00003",
                                                                 "P-00004"}


def peak_memory(user, dataset: str) -> tuple[int, int]:
    job = services.export_start(user=user, source=Source.COMMAND, datasets=[dataset],
                                format="csv")
    tracemalloc.start()
    try:
        size = sum(len(chunk) for chunk in services.export_csv(job))
        return tracemalloc.get_traced_memory()[1], size
    finally:
        tracemalloc.stop()


def test_memory_is_bounded_by_a_batch_not_by_the_registry(superuser, center, settings):
    settings.EXPORT_BATCH_SIZE = 10
    registry(center, 10)
    small, small_size = peak_memory(superuser, "mrc")
    registry(center, 70, prefix="Q")
    large, large_size = peak_memory(superuser, "mrc")
    assert large_size > 7 * small_size  # eight times the rows …
    assert large < 1.35 * small, (small, large)  # … in about the same memory
