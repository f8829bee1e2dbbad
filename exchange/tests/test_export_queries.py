"""Exports read a fixed number of queries per batch of patients, whatever their histories."""

import pytest
from django.contrib.auth.models import User

from exchange.datasets import DATASETS
from exchange.selectors import ExportContext, dataset_rows, export_cohort
from patients.models import Patient
from registry.tests.factories import PatientFactory, clinical_history

pytestmark = pytest.mark.django_db

# Queries of one batch, after the cursor over the cohort's patient ids:
PER_BATCH = {
    "patients": 1,  # patients with their centre and consent
    "affected_nerves": 1,
    "target_muscles": 1,
    "titres": 1,
    "paraproteins": 1,
    "prior_treatments": 1,
    "series": 2,  # the stored outcomes' series parts, the series
    "lots": 1,
    "adverse_events": 1,
    "visits": 2,  # the stored outcomes' visit scores, the visits
    "mrc": 2,  # the stored outcomes' target muscles, the grades
    "nerve_studies": 1,
    "nerve_segments": 1,
    "outcomes": 1,  # patients with their outcome
    "tailoring": 2,  # the stored outcomes' tailoring results (§10), the episodes
    "measures": 1,  # the stored outcomes' measures (§9)
    "queries": 1,  # the queries with their patient and users (§11)
}
# Read once per export, at the first batch that needs them:
# thresholds; per-diagnosis rule sets, criteria sets, lower limits
ONCE = {"titres": 1, "nerve_segments": 3}


def patients(center, count):
    for n in range(count):
        clinical_history(PatientFactory(center=center, code=f"MMN-{n:03d}"), 2)
    return export_cohort(user=User(is_superuser=True))


@pytest.mark.parametrize("dataset", [d.name for d in DATASETS])
@pytest.mark.parametrize("count", [1, 3])
def test_one_batch_is_a_fixed_number_of_queries(center, dataset, count,
                                                django_assert_num_queries):
    cohort = patients(center, count)
    context = ExportContext()
    # the cursor over the patient ids, the batch's queries, what is read once
    with django_assert_num_queries(1 + PER_BATCH[dataset] + ONCE.get(dataset, 0)):
        batches = list(dataset_rows(dataset, cohort, context, batch_size=10))
    assert len(batches) == 1


@pytest.mark.parametrize("dataset", ["mrc", "nerve_segments", "patients"])
def test_batches_add_their_queries_and_nothing_else(center, dataset,
                                                    django_assert_num_queries):
    cohort = patients(center, 5)
    with django_assert_num_queries(1 + 3 * PER_BATCH[dataset] + ONCE.get(dataset, 0)):
        batches = list(dataset_rows(dataset, cohort, ExportContext(), batch_size=2))
    assert len(batches) == 3
    assert len({row["patient"] for batch in batches for row in batch}) == 5


def test_identifiers_join_in_the_same_query(center, django_assert_num_queries):
    cohort = patients(center, 3)
    context = ExportContext(identifiers=True, identifier_centers=None)
    with django_assert_num_queries(2):  # the cursor, the patients with identity
        (batch,) = dataset_rows("patients", cohort, context)
    assert len(batch) == Patient.objects.count()
