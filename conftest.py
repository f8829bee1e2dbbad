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


DATABASE_FIXTURES = ("db", "transactional_db", "live_server")


@pytest.fixture(autouse=True)
def _reference_data(request, django_db_blocker):
    """The rule sets, thresholds and block criteria the migrations seed are there for every
    test that uses the database.

    A transactional test ends with a flush that empties them, and pytest-django runs such
    tests last; a later run with ``--reuse-db`` (or a test after them) would otherwise find
    no thresholds. Seeding happens after the database fixture is set up, so an ordinary
    test's seed is rolled back with it and a transactional test's is flushed after it.
    """
    uses_database = request.node.get_closest_marker("django_db") is not None or any(
        name in request.fixturenames for name in DATABASE_FIXTURES
    )
    if uses_database:
        request.getfixturevalue("_django_db_helper")
        from treatments.models import RuleSet
        from treatments.reference_data import seed_reference_data

        with django_db_blocker.unblock():
            if not RuleSet.objects.exists():
                seed_reference_data()
