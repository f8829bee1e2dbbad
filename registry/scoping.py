"""Centre scoping in one place: API, pages, admin and exports all ask here."""

from __future__ import annotations

from django.db.models import QuerySet

from patients.models import Patient
from registry.models import Center, Role


def user_center_ids(user) -> list[int] | None:
    """The user's centre ids, or ``None`` for a superuser (who sees every centre)."""
    if not user.is_authenticated:
        return []
    if user.is_superuser:
        return None
    cached = getattr(user, "_registry_center_ids", None)
    if cached is None:
        cached = list(user.memberships.values_list("center_id", flat=True))
        user._registry_center_ids = cached
    return cached


def user_role(user, center_id: int | None = None) -> str | None:
    """The user's role (in ``center_id`` if given; otherwise the most restricted one)."""
    if user.is_superuser:
        return Role.DATA_MANAGER
    roles = {
        m.role for m in user.memberships.all()
        if center_id is None or m.center_id == center_id
    }
    if not roles:
        return None
    if Role.RESEARCHER in roles and center_id is None and len(roles) == 1:
        return Role.RESEARCHER
    for role in (Role.DATA_MANAGER, Role.CLINICIAN, Role.RESEARCHER):
        if role in roles:
            return role
    return None


def is_researcher_only(user) -> bool:
    """Researchers see pseudonymised data everywhere: never a direct identifier."""
    if user.is_superuser:
        return False
    roles = {m.role for m in user.memberships.all()}
    return roles == {Role.RESEARCHER}


def can_write(user, center_id: int) -> bool:
    if user.is_superuser:
        return True
    return any(
        m.center_id == center_id and m.role in (Role.CLINICIAN, Role.DATA_MANAGER)
        for m in user.memberships.all()
    )


def scope_patients(queryset: QuerySet[Patient], user) -> QuerySet[Patient]:
    ids = user_center_ids(user)
    return queryset if ids is None else queryset.filter(center_id__in=ids)


def scope_by_patient(queryset: QuerySet, user, *, path: str = "patient") -> QuerySet:
    ids = user_center_ids(user)
    return queryset if ids is None else queryset.filter(**{f"{path}__center_id__in": ids})


def scope_centers(queryset: QuerySet[Center], user) -> QuerySet[Center]:
    ids = user_center_ids(user)
    return queryset if ids is None else queryset.filter(pk__in=ids)
