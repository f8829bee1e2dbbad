"""The roles are Django groups created by a migration, kept in step with the memberships
(``grant``, the admin, the services); each group carries its role's model permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.urls import reverse

from registry.models import Membership, Role
from registry.scoping import (
    admin_center_ids,
    can_admin_write,
    can_export,
    can_export_identifiers,
    can_import,
    can_import_into,
    can_manage_reference_data,
    can_see_identifiers,
    can_write,
    export_center_ids,
    export_identifier_center_ids,
    identifiable_center_ids,
    import_center_ids,
)
from registry.services import membership_grant, membership_revoke
from registry.tests.factories import CenterFactory, UserFactory

pytestmark = pytest.mark.django_db


def perms(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")}


def test_the_migration_creates_the_three_role_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


def test_each_group_carries_its_roles_permissions():
    clinician, manager, researcher = (perms(r) for r in Role.values)
    assert {"patients.add_visit", "patients.change_visit", "patients.delete_titre",
            "patients.change_identity", "treatments.add_series"} <= clinician
    assert "treatments.change_ruleset" not in clinician
    assert "treatments.delete_series" not in clinician and "patients.delete_patient" not in (
        clinician)
    assert clinician < manager
    assert {"treatments.change_ruleset", "treatments.change_titrethreshold",
            "treatments.add_blockcriteriaset", "registry.view_membership"} <= manager
    assert "registry.change_membership" not in manager  # roles are a superuser's to give
    assert all(p.split(".")[1].startswith("view_") for p in researcher)
    assert not any("identity" in p for p in researcher)


def test_grant_puts_the_user_in_the_group_and_only_data_managers_in_the_admin(monkeypatch):
    monkeypatch.setenv("REGISTRY_PASSWORD", "a-long-password-1")
    call_command("grant", "dora", "--centre", "PSL", "--role", "data_manager", "--create")
    dora = User.objects.get(username="dora")
    assert list(dora.groups.values_list("name", flat=True)) == ["data_manager"]
    assert dora.is_staff and dora.has_perm("treatments.change_ruleset")

    call_command("grant", "dora", "--centre", "PSL", "--role", "researcher")
    dora = User.objects.get(username="dora")
    assert list(dora.groups.values_list("name", flat=True)) == ["researcher"]
    assert not dora.is_staff and not dora.has_perm("patients.change_visit")


def test_a_user_in_two_centres_is_in_both_groups_until_one_is_revoked():
    north, south = CenterFactory(code="n1"), CenterFactory(code="s1")
    user = UserFactory()
    membership_grant(user=user, center=north, role=Role.CLINICIAN)
    membership_grant(user=user, center=south, role=Role.RESEARCHER)
    assert set(user.groups.values_list("name", flat=True)) == {"clinician", "researcher"}
    membership_revoke(membership=Membership.objects.get(user=user, center=north))
    assert set(user.groups.values_list("name", flat=True)) == {"researcher"}


def test_the_membership_admin_keeps_the_groups_in_step(client, superuser, center):
    user = UserFactory(username="eve")
    client.force_login(superuser)
    response = client.post(reverse("admin:registry_membership_add"),
                           {"user": user.pk, "center": center.pk, "role": "data_manager"})
    assert response.status_code == 302, response.content
    user.refresh_from_db()
    assert list(user.groups.values_list("name", flat=True)) == ["data_manager"]
    assert user.is_staff
    membership = Membership.objects.get(user=user)
    url = reverse("admin:registry_membership_change", args=[membership.pk])
    assert client.post(url, {"role": "clinician"}).status_code == 302
    user.refresh_from_db()
    assert list(user.groups.values_list("name", flat=True)) == ["clinician"]
    assert not user.is_staff
    url = reverse("admin:registry_membership_delete", args=[membership.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not user.groups.exists()


def test_the_centre_admin_inline_keeps_the_groups_in_step(client, superuser, center):
    user = UserFactory(username="fay")
    client.force_login(superuser)
    url = reverse("admin:registry_center_change", args=[center.pk])
    response = client.post(url, {
        "name": center.name, "code": center.code,
        "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "0",
        "memberships-0-user": user.pk, "memberships-0-role": "researcher",
    })
    assert response.status_code == 302, response.content
    assert list(user.groups.values_list("name", flat=True)) == ["researcher"]


def test_scoping_helpers_by_role(center, other_center, clinician, data_manager, researcher,
                                 superuser):
    a, b = center.pk, other_center.pk
    assert can_write(clinician, a) and not can_write(clinician, b)
    assert not can_write(researcher, a)
    assert can_see_identifiers(clinician, a) and can_see_identifiers(data_manager, a)
    assert not can_see_identifiers(researcher, a) and not can_see_identifiers(clinician, b)
    assert identifiable_center_ids(researcher) == [] and identifiable_center_ids(superuser) is None
    assert [can_export(u) for u in (clinician, data_manager, researcher, superuser)] == [
        False, True, True, True]
    assert export_center_ids(researcher) == [a] and export_center_ids(clinician) == []
    assert [can_export_identifiers(u) for u in (clinician, data_manager, researcher,
                                                superuser)] == [False, True, False, True]
    assert export_identifier_center_ids(data_manager) == [a]
    assert export_identifier_center_ids(researcher) == []
    assert [can_import(u) for u in (clinician, data_manager, researcher, superuser)] == [
        False, True, False, True]
    assert import_center_ids(data_manager) == [a] and import_center_ids(superuser) is None
    assert can_import_into(data_manager, a) and not can_import_into(data_manager, b)
    assert not can_import_into(clinician, a) and not can_import_into(researcher, a)
    assert can_import_into(superuser, b)
    assert can_manage_reference_data(data_manager, center_id=a)
    assert not can_manage_reference_data(data_manager, center_id=b)
    assert not can_manage_reference_data(data_manager)  # general rows: superusers
    assert not can_manage_reference_data(clinician, center_id=a)
    assert can_manage_reference_data(superuser) and can_manage_reference_data(superuser,
                                                                               center_id=b)
    assert admin_center_ids(data_manager) == [a] and admin_center_ids(clinician) == []
    assert can_admin_write(superuser, b) and not can_admin_write(data_manager, b)


def test_data_managers_read_their_centres_export_records_in_the_admin(
    client, data_manager, clinician, other_centre_clinician
):
    from exchange.models import ExportRecord

    ours = ExportRecord.objects.create(user=clinician, username="clinician", source="api",
                                       format="csv", datasets=["patients"])
    theirs = ExportRecord.objects.create(user=other_centre_clinician, username="other",
                                         source="api", format="csv", datasets=["visits"])
    client.force_login(data_manager)
    response = client.get("/admin/exchange/exportrecord/")
    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert shown == [ours] and theirs not in shown
    assert client.get(f"/admin/exchange/exportrecord/{ours.pk}/change/").status_code == 200
