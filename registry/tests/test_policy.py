"""``registry.scoping`` is the one access policy, and it fails closed: no access for anyone
not logged in or deactivated, nothing for a role it does not name, no model left unscoped."""

from __future__ import annotations

import inspect

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from patients.models import Patient, Titre
from registry import scoping
from registry.models import Center, Role

pytestmark = pytest.mark.django_db

# Every question of the policy, asked of ``user`` about ``centre``, with what "no access"
# looks like: a test below fails when a question is added to the module and not here.
NO_ACCESS = {
    "user_center_ids": (lambda user, centre: scoping.user_center_ids(user), []),
    "user_roles": (lambda user, centre: scoping.user_roles(user), set()),
    "user_role": (lambda user, centre: scoping.user_role(user, centre), None),
    "is_researcher_only": (lambda user, centre: scoping.is_researcher_only(user), True),
    "writable_center_ids": (lambda user, centre: scoping.writable_center_ids(user), []),
    "can_write": (lambda user, centre: scoping.can_write(user, centre), False),
    "identifiable_center_ids": (lambda user, centre: scoping.identifiable_center_ids(user), []),
    "can_see_identifiers": (lambda user, centre: scoping.can_see_identifiers(user, centre),
                            False),
    "export_center_ids": (lambda user, centre: scoping.export_center_ids(user), []),
    "can_export": (lambda user, centre: scoping.can_export(user), False),
    "export_identifier_center_ids": (
        lambda user, centre: scoping.export_identifier_center_ids(user), []),
    "can_export_identifiers": (lambda user, centre: scoping.can_export_identifiers(user),
                               False),
    "import_center_ids": (lambda user, centre: scoping.import_center_ids(user), []),
    "can_import": (lambda user, centre: scoping.can_import(user), False),
    "can_import_into": (lambda user, centre: scoping.can_import_into(user, centre), False),
    "admin_center_ids": (lambda user, centre: scoping.admin_center_ids(user), []),
    "access_log_center_ids": (lambda user, centre: scoping.access_log_center_ids(user), []),
    "can_read_access_log": (lambda user, centre: scoping.can_read_access_log(user), False),
    "can_admin_write": (lambda user, centre: scoping.can_admin_write(user, centre), False),
    "can_manage_reference_data": (
        lambda user, centre: (scoping.can_manage_reference_data(user, center_id=centre)
                              or scoping.can_manage_reference_data(user)), False),
    "scope_patients": (
        lambda user, centre: list(scoping.scope_patients(Patient.objects.all(), user)), []),
    "scope_by_patient": (
        lambda user, centre: list(scoping.scope_by_patient(Titre.objects.all(), user)), []),
    "scope_centers": (
        lambda user, centre: list(scoping.scope_centers(Center.objects.all(), user)), []),
    "scope_queryset": (
        lambda user, centre: list(scoping.scope_queryset(Titre.objects.all(), user)), []),
    "scope_reportable_patients": (
        lambda user, centre: list(scoping.scope_reportable_patients(Patient.objects.all(),
                                                                    user)), []),
    "research_center_ids": (lambda user, centre: scoping.research_center_ids(user), []),
    "query_center_ids": (lambda user, centre: scoping.query_center_ids(user), []),
    "can_answer_query": (lambda user, centre: scoping.can_answer_query(user, centre), False),
    "query_manager_center_ids": (lambda user, centre: scoping.query_manager_center_ids(user),
                                 []),
    "can_manage_queries": (lambda user, centre: scoping.can_manage_queries(user, centre),
                           False),
    # Sign-off (clinical-rules.md §11).
    "can_sign": (lambda user, centre: scoping.can_sign(user, centre), False),
    "can_unlock": (lambda user, centre: scoping.can_unlock(user, centre), False),
    # A narrowing of the scoped rows (consented patients where the user researches).
    "scope_research_consent": (
        lambda user, centre: list(scoping.scope_research_consent(
            scoping.scope_patients(Patient.objects.all(), user), user)), []),
}
# Helpers that answer no question of access.
NOT_QUESTIONS = {"is_active", "is_superuser", "load_memberships", "remember_memberships",
                 "centre_path",
                 "center_id_of", "consent_not_withdrawn",
                 "patient_scope_key"}  # what the filters read, not a question


def assert_no_access(user, centre: int) -> None:
    for name, (ask, none) in NO_ACCESS.items():
        assert ask(user, centre) == none, name


def test_every_question_of_the_policy_is_checked_here():
    public = {name for name, value in vars(scoping).items()
              if inspect.isfunction(value) and value.__module__ == scoping.__name__
              and not name.startswith("_")}
    assert public - NOT_QUESTIONS == set(NO_ACCESS)


def test_anonymous_users_get_nothing(world):
    assert_no_access(AnonymousUser(), world.mine.center_id)


@pytest.mark.parametrize("role", ["clinician", "data_manager", "researcher", "superuser"])
def test_deactivated_users_get_nothing(request, role, world):
    user = request.getfixturevalue(role)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_no_access(user, world.mine.center_id)


def test_a_role_the_policy_does_not_name_gets_nothing(data_manager, world):
    """A role added to ``Role`` (the database refuses unknown ones today) is given no right
    until the policy's tables name it."""
    scoping.load_memberships(data_manager)
    (membership,) = data_manager.memberships.all()
    membership.role = "auditor"
    assert_no_access(data_manager, world.mine.center_id)


def test_a_deactivated_data_manager_is_refused_by_the_pages(client, data_manager, world):
    client.force_login(data_manager)
    assert client.get(reverse("exchange:imports")).status_code == 200
    data_manager.is_active = False
    data_manager.save(update_fields=["is_active"])
    # Django's session authentication logs a deactivated user out: sent to the login page.
    for name in ("exchange:exports", "exchange:imports"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response.url, name


def clinical_models() -> list:
    """Every model whose rows belong to a patient: a foreign key to ``Patient``, or to a
    model that does (audit-trail copies left out: they are read through their record)."""
    models = [m for m in apps.get_models() if not hasattr(m, "instance_type")]
    found = {Patient}
    grew = True
    while grew:
        grew = False
        for model in models:
            if model in found:
                continue
            if any(f.is_relation and (f.many_to_one or f.one_to_one)
                   and f.related_model in found for f in model._meta.concrete_fields):
                found.add(model)
                grew = True
    return sorted(found, key=lambda m: m._meta.label_lower)


def test_every_model_of_a_patient_is_centre_scoped():
    models = clinical_models()
    assert {Titre, Patient} <= set(models) and len(models) > 10
    missing = [m._meta.label_lower for m in models
               if m._meta.label_lower not in scoping.CENTRE_PATHS]
    assert not missing, f"add to registry.scoping.CENTRE_PATHS: {missing}"
    for model in models:
        assert scoping.centre_path(model)  # what scope_queryset / the admin ask


@pytest.mark.parametrize("label", sorted(scoping.CENTRE_PATHS))
def test_each_centre_path_leads_to_a_centre(label):
    target = apps.get_model(label)
    path = scoping.CENTRE_PATHS[label]
    if path != "pk":
        for hop in path.split("__"):
            target = target._meta.get_field(hop).related_model
    assert target is Center


def test_a_model_without_a_centre_is_refused_rather_than_left_unscoped(data_manager):
    from exchange.models import ExportRecord

    with pytest.raises(LookupError, match="CENTRE_PATHS"):
        scoping.scope_queryset(ExportRecord.objects.all(), data_manager)


def test_the_roles_are_the_policys(db):
    """Each role of ``Role`` is named by the policy's tables (a new one must be placed)."""
    assert set(scoping.READERS) == set(Role.values)
