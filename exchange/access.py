"""Who may take data out of the registry and bring it in, and for which centres.

Centre scoping itself stays in ``registry.scoping``; this narrows it by role:

* exports: data managers (and superusers) export their centres' patients; researchers
  export pseudonymised data of their centres (the same data the API gives them);
  clinicians do not export;
* direct identifiers: only with an explicit option, only for the centres where the user
  is a data manager — never for a researcher;
* imports: data managers of the centre (and superusers).
"""

from __future__ import annotations

from django.db.models import prefetch_related_objects

from registry.models import Role
from registry.scoping import is_researcher_only, user_role

EXPORT_ROLES = (Role.DATA_MANAGER, Role.RESEARCHER)


def load_roles(user) -> None:
    """The checks read ``user.memberships.all()`` many times: one query for all of them."""
    cached = getattr(user, "_prefetched_objects_cache", {})
    if user.pk and not user.is_superuser and "memberships" not in cached:
        prefetch_related_objects([user], "memberships")


def _centers_with(user, roles) -> set[int] | None:
    """Centre ids where the user's role is one of ``roles``; ``None`` means every centre."""
    if user.is_superuser:
        return None
    if not user.is_authenticated:
        return set()
    return {
        m.center_id for m in user.memberships.all() if user_role(user, m.center_id) in roles
    }


def export_center_ids(user) -> set[int] | None:
    return _centers_with(user, EXPORT_ROLES)


def identifier_center_ids(user) -> set[int] | None:
    """Centres whose patients' identifiers the user may export (when asked explicitly)."""
    if is_researcher_only(user):
        return set()
    return _centers_with(user, (Role.DATA_MANAGER,))


def import_center_ids(user) -> set[int] | None:
    return _centers_with(user, (Role.DATA_MANAGER,))


def may_export(user) -> bool:
    centers = export_center_ids(user)
    return centers is None or bool(centers)


def may_export_identifiers(user) -> bool:
    centers = identifier_center_ids(user)
    return centers is None or bool(centers)


def may_import(user) -> bool:
    centers = import_center_ids(user)
    return centers is None or bool(centers)


def may_import_into(user, center_id: int) -> bool:
    centers = import_center_ids(user)
    return centers is None or center_id in centers
