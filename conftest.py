"""Fixtures named for the people who use the registry."""

import pytest

from registry.models import Role
from registry.tests.factories import CenterFactory, PatientFactory, UserFactory, member


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
def _reference_data(request):
    """A transactional test ends with a flush that also empties what the migrations seed
    (rule sets, thresholds, block criteria, role groups); put it back before the next
    database test that finds it missing. pytest-django runs transactional tests last, so
    this is rare, and there it persists (no test transaction to roll it back)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or (
        "live_server" in request.fixturenames or "transactional_db" in request.fixturenames
    )
    if marker is None and not transactional and "db" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.contrib.auth.models import Group

    from registry.roles import ensure_role_groups
    from treatments.models import RuleSet
    from treatments.reference_data import seed_reference_data

    if not RuleSet.objects.exists() or Group.objects.filter(name__in=Role.values).count() < 3:
        seed_reference_data()
        ensure_role_groups()
    yield


@pytest.fixture(autouse=True)
def _force_login_passes_two_factor(request, monkeypatch):
    """``client.force_login(user)`` signs a data manager or superuser in as a real sign-in
    would: with their second factor (registry.twofactor). Tests of the enforcement itself
    mark themselves ``password_only`` to get a session that did not pass it."""
    if request.node.get_closest_marker("password_only"):
        return
    from django.test import Client

    from registry.tests.otp import verify_if_required

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        verify_if_required(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)
