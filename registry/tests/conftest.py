import pytest

from registry.tests.trust import World, populate


@pytest.fixture
def world(patient, other_patient, django_capture_on_commit_callbacks) -> World:
    """Centre ``north`` (the fixtures' users' centre) and ``south``, both fully recorded."""
    with django_capture_on_commit_callbacks(execute=True):
        populate(patient)
        populate(other_patient)
    return World(mine=patient, theirs=other_patient)
