import pytest
from django.core.management import CommandError, call_command

from registry.models import Membership

pytestmark = pytest.mark.django_db


def test_grant_creates_user_centre_and_role(monkeypatch):
    monkeypatch.setenv("REGISTRY_PASSWORD", "a-long-password-1")
    call_command("grant", "alice", "--centre", "PSL", "--role", "clinician", "--create")
    membership = Membership.objects.get(user__username="alice")
    assert (membership.center.code, membership.role) == ("PSL", "clinician")
    assert membership.user.check_password("a-long-password-1")


def test_grant_changes_an_existing_role(monkeypatch, clinician, center):
    call_command("grant", "clinician", "--centre", center.code, "--role", "researcher")
    assert Membership.objects.get(user=clinician, center=center).role == "researcher"


def test_grant_to_an_unknown_user_without_create_fails(db):
    with pytest.raises(CommandError, match="add --create"):
        call_command("grant", "nobody", "--centre", "PSL", "--role", "clinician")
