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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test ends with a flush that also empties the reference data the
    migrations seed (rule sets, thresholds, block criteria); put it back for the next one.

    A hook rather than a fixture: it must run after the flush, which is the database
    fixture's own teardown, and a fixture's teardown may come before it.
    """
    yield
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    transactional = (marker is not None and marker.kwargs.get("transaction")) or (
        "live_server" in fixtures or "transactional_db" in fixtures
    )
    if transactional:
        from pytest_django.plugin import blocking_manager_key

        from treatments.reference_data import seed_reference_data

        with item.config.stash[blocking_manager_key].unblock():
            seed_reference_data()
