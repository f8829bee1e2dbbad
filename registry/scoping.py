"""Centre scoping and roles in one place: API, pages, admin and exports all ask here.

A user's centres and roles come from ``registry.models.Membership`` (one role per centre);
a superuser sees every centre. The Django groups named after the roles carry the matching
model permissions and are kept in step with the memberships by ``registry.services``.

What each surface uses:

- reads: ``scope_patients`` / ``scope_by_patient`` / ``scope_queryset`` (any model);
- writes: ``can_write(user, center_id)``;
- direct identifiers (name, date of birth, hospital number):
  ``can_see_identifiers(user, center_id)``; ``is_researcher_only(user)`` for pages that
  show no patient in particular;
- reports and exports: ``scope_reportable_patients`` (scoped, consent not withdrawn),
  ``can_export(user)``, ``identifiable_center_ids(user)``;
- the admin: ``admin_center_ids`` / ``can_admin_write`` (data managers only, their centres);
- reference data (rule sets, titre thresholds, block criteria): ``can_manage_reference_data``.
"""

from __future__ import annotations

from django.db.models import Model, Q, QuerySet

from patients.models import Patient
from registry.models import Center, Role

WRITERS = (Role.CLINICIAN, Role.DATA_MANAGER)
# Direct identifiers (``patients.Identity``): withheld unless ``can_see_identifiers``.
IDENTIFIER_FIELDS = ("name", "date_of_birth", "hospital_number")

# The path from each centre-scoped model to its centre, for ``scope_queryset``.
CENTRE_PATHS: dict[str, str] = {
    "registry.center": "pk",
    "registry.membership": "center",
    "patients.patient": "center",
    "patients.identity": "patient__center",
    "patients.consent": "patient__center",
    "patients.affectednerve": "patient__center",
    "patients.pinnedtargetmuscle": "patient__center",
    "patients.titre": "patient__center",
    "patients.paraprotein": "patient__center",
    "patients.priortreatment": "patient__center",
    "patients.visit": "patient__center",
    "patients.mrcgrade": "visit__patient__center",
    "patients.nervestudy": "patient__center",
    "patients.nervesegment": "study__patient__center",
    "treatments.series": "patient__center",
    "treatments.lotnumber": "series__patient__center",
    "treatments.adverseevent": "series__patient__center",
    "treatments.outcome": "patient__center",
}


def _memberships(user) -> list:
    """The user's memberships, read once per user object (``prefetch_related`` honoured)."""
    return list(user.memberships.all())


def _center_ids_with(user, roles) -> list[int]:
    return [m.center_id for m in _memberships(user) if m.role in roles]


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


def user_roles(user) -> set[str]:
    """Every role the user holds in any centre (a superuser holds none: it needs none)."""
    if not user.is_authenticated:
        return set()
    return {m.role for m in _memberships(user)}


def user_role(user, center_id: int | None = None) -> str | None:
    """The user's role (in ``center_id`` if given; otherwise the most restricted one)."""
    if user.is_superuser:
        return Role.DATA_MANAGER
    roles = {
        m.role for m in _memberships(user)
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
    return user_roles(user) == {Role.RESEARCHER}


def can_write(user, center_id: int) -> bool:
    """Clinicians and data managers write the data of their own centres."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return center_id in _center_ids_with(user, WRITERS)


def can_see_identifiers(user, center_id: int) -> bool:
    """Name, date of birth and hospital number: only the patient's own centre's clinicians
    and data managers (and superusers) see them; researchers never do."""
    return can_write(user, center_id)


def identifiable_center_ids(user) -> list[int] | None:
    """Centres whose patients' identifiers the user may see (``None``: every centre)."""
    if user.is_superuser:
        return None
    if not user.is_authenticated:
        return []
    return _center_ids_with(user, WRITERS)


def can_export(user) -> bool:
    """Bulk exports: data managers (identifiable for their centres) and researchers
    (always pseudonymised); clinicians read the cohort reports instead."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(user_roles(user) & {Role.DATA_MANAGER, Role.RESEARCHER})


def can_import(user, center_id: int) -> bool:
    """Bulk imports into a centre: its data managers."""
    return can_admin_write(user, center_id)


def can_manage_reference_data(user) -> bool:
    """Rule sets, titre thresholds, block criteria and nerve references: data managers."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or Role.DATA_MANAGER in user_roles(user)


def can_write_threshold(user, center_id: int | None) -> bool:
    """A titre threshold (clinical-rules.md §5): data managers write their centres' rows,
    superusers the general ones (``center_id`` None) and any centre's."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return center_id is not None and center_id in _center_ids_with(user, (Role.DATA_MANAGER,))


def can_manage_rule_sets(user) -> bool:
    """Rule sets, their per-diagnosis defaults and the block criteria sets: superusers
    (every centre's outcomes follow them)."""
    return user.is_authenticated and user.is_superuser


def admin_center_ids(user) -> list[int] | None:
    """Centres whose records the user manages in the admin (``None``: every centre)."""
    if not user.is_authenticated:
        return []
    if user.is_superuser:
        return None
    return _center_ids_with(user, (Role.DATA_MANAGER,))


def can_admin_write(user, center_id: int | None) -> bool:
    ids = admin_center_ids(user)
    return ids is None or (center_id is not None and center_id in ids)


def scope_patients(queryset: QuerySet[Patient], user) -> QuerySet[Patient]:
    ids = user_center_ids(user)
    return queryset if ids is None else queryset.filter(center_id__in=ids)


def scope_by_patient(queryset: QuerySet, user, *, path: str = "patient") -> QuerySet:
    ids = user_center_ids(user)
    return queryset if ids is None else queryset.filter(**{f"{path}__center_id__in": ids})


def scope_centers(queryset: QuerySet[Center], user) -> QuerySet[Center]:
    ids = user_center_ids(user)
    return queryset if ids is None else queryset.filter(pk__in=ids)


def centre_path(model: type[Model]) -> str:
    label = model._meta.label_lower
    if label not in CENTRE_PATHS:
        raise LookupError(f"{label} has no centre: add it to registry.scoping.CENTRE_PATHS.")
    return CENTRE_PATHS[label]


def scope_queryset(
    queryset: QuerySet, user, *, center_ids: list[int] | None | str = "member"
) -> QuerySet:
    """Any centre-scoped model's rows limited to the user's centres (or ``center_ids``)."""
    ids = user_center_ids(user) if center_ids == "member" else center_ids
    if ids is None:
        return queryset
    path = centre_path(queryset.model)
    lookup = "pk__in" if path == "pk" else f"{path}_id__in"
    return queryset.filter(**{lookup: ids})


def center_id_of(obj: Model) -> int | None:
    """The centre an object belongs to, following ``CENTRE_PATHS``; None if it has none."""
    path = centre_path(type(obj))
    if path == "pk":
        return obj.pk
    *hops, last = path.split("__")
    target = obj
    for hop in hops:
        target = getattr(target, hop, None)
        if target is None:
            return None
    return getattr(target, f"{last}_id", None)


def consent_not_withdrawn() -> Q:
    return Q(consent__isnull=True) | Q(consent__withdrawn_on__isnull=True)


def scope_reportable_patients(queryset: QuerySet[Patient], user) -> QuerySet[Patient]:
    """Patients that may appear in a report or export: the user's centres, consent not
    withdrawn (a withdrawn consent removes the patient from every report and export)."""
    return scope_patients(queryset, user).filter(consent_not_withdrawn())
