import pytest

from registry.tests.factories import clinical_history


@pytest.fixture
def treated(patient, django_capture_on_commit_callbacks):
    """``patient`` (MMN-900, centre north) with a baseline and two series, visits, titres,
    nerve studies, a paraprotein and a prior treatment, outcome computed."""
    with django_capture_on_commit_callbacks(execute=True):
        clinical_history(patient, 2)
    patient.refresh_from_db()
    return patient
