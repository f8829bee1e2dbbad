"""Fixtures named for the people who use the registry."""

import pytest

from registry.factories import CenterFactory, PatientFactory, UserFactory, member
from registry.models import Role


@pytest.fixture
def center(db):
    return CenterFactory(code="north", name="North neurology")


@pytest.fixture
def other_center(db):
    return CenterFactory(code="south", name="South neurology")


@pytest.fixture
def clinician(center):
    return member(center=center, role=Role.CLINICIAN, username="clinician")


@pytest.fixture
def data_manager(center):
    return member(center=center, role=Role.DATA_MANAGER, username="data_manager", is_staff=True)


@pytest.fixture
def researcher(center):
    return member(center=center, role=Role.RESEARCHER, username="researcher")


@pytest.fixture
def other_centre_clinician(other_center):
    return member(center=other_center, role=Role.CLINICIAN, username="other_clinician")


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def patient(center):
    return PatientFactory(center=center, code="MMN-900")


@pytest.fixture
def other_patient(other_center):
    return PatientFactory(center=other_center, code="MMN-901")


@pytest.fixture(autouse=True)
def _restore_reference_data(request, django_db_blocker):
    """A transactional test ends with a flush that also empties the reference data the
    migrations seed (rule sets, thresholds, block criteria, role groups); put it back for
    the next one."""
    yield
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or (
        "live_server" in request.fixturenames or "transactional_db" in request.fixturenames
    )
    if transactional:
        from registry.roles import ensure_role_groups
        from treatments.reference_data import seed_reference_data

        with django_db_blocker.unblock():
            seed_reference_data()
            ensure_role_groups()
