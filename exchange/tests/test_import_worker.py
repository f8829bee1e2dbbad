"""A page import runs in a real Celery worker, and its page sees the progress as it goes."""


import pytest
from django.urls import reverse

from exchange.models import ImportRecord
from exchange.tests.helpers import csv_file
from exchange.tests.test_import_pages import upload
from patients.models import Patient, Visit
from treatments.tests.test_worker import start_worker, wait_for  # noqa: F401 (fixture)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

COUNT = 30


def files() -> dict[str, str]:
    codes = [f"MMN-{n:03d}" for n in range(COUNT)]
    return {
        "patients": csv_file(["patient", "center", "sex", "birth_year", "diagnosis"],
                             *[[code, "north", "F", "1950", "mmn"] for code in codes]),
        "visits": csv_file(["patient", "visited_on", "kind"],
                           *[[code, "1994-01-03", "baseline"] for code in codes]),
        "mrc": csv_file(["patient", "visited_on", "kind", "muscle", "side", "grade"],
                        *[[code, "1994-01-03", "baseline", muscle, side, "3"]
                          for code in codes for muscle in ("deltoid", "biceps", "triceps")
                          for side in ("R", "L")]),
    }


def test_the_worker_imports_and_the_page_follows_its_progress(start_worker, client,  # noqa: F811
                                                              data_manager):
    start_worker()
    client.force_login(data_manager)
    response = client.post(reverse("exchange:imports"), {
        "files": [upload(f"{name}.csv", text) for name, text in files().items()],
        "mode": "all_or_nothing"})
    record = ImportRecord.objects.get()
    seen: set[tuple[int, int]] = set()

    def finished() -> bool:
        record.refresh_from_db()
        seen.add((record.progress_done, record.progress_total))
        return record.finished

    assert wait_for(finished, timeout=120, interval=0.05), record.status
    assert (record.status, record.committed, record.error_count) == ("done", True, 0), \
        record.failure
    assert any(0 < done < total for done, total in seen), seen  # seen while it ran
    assert Patient.objects.count() == COUNT and Visit.objects.count() == COUNT
    page = client.get(response["Location"])
    assert b"Written" in page.content and b"180 created" in page.content
