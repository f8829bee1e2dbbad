"""The registry's one access policy: API, pages, admin, reports, exports and imports ask here.

A user's centres and roles come from ``registry.models.Membership`` (one role per centre);
an active superuser sees every centre. The Django groups named after the roles carry the
matching model permissions and are kept in step with the memberships by
``registry.services``. Nothing else in the project decides who may see or do what.

It fails closed: every question answers "no access" (``False``, no centre, an empty
queryset) for an anonymous or inactive user, and a role gets only what the tables below
name for it (a role added to ``Role`` but not here gets nothing); ``centre_path`` raises
for a model that is not in ``CENTRE_PATHS`` rather than leave its rows unscoped.

What each surface asks:

- reads: ``scope_patients`` / ``scope_by_patient`` / ``scope_centers`` /
  ``scope_queryset`` (any model of ``CENTRE_PATHS``), ``user_center_ids``;
- writes: ``can_write(user, center_id)``, ``writable_center_ids(user)``;
- direct identifiers (name, date of birth, hospital number) on screen and in the API:
  ``can_see_identifiers(user, center_id)``, ``identifiable_center_ids(user)``;
  ``is_researcher_only(user)`` for pages that show no patient in particular;
- reports and exports: ``scope_reportable_patients`` (scoped, consent given: recorded
  and not withdrawn, ``_consent_given``; the state itself: ``patients.consent``);
- the API as a researcher reads it: ``scope_research_consent`` (in the centres where the
  user is a researcher, consented patients only; care surfaces never call it);
- exports: ``can_export`` / ``export_center_ids``; identifiers in an export (asked for
  explicitly): ``can_export_identifiers`` / ``export_identifier_center_ids``;
- imports: ``can_import`` (the page and the service), ``can_import_into(user, center_id)``
  (each patient's row);
- the admin: ``admin_center_ids`` / ``can_admin_write`` (data managers only, their centres);
- sign-off (clinical-rules.md §11): ``can_sign(user, center_id)`` (the centre's clinicians
  only: a signature is a clinician's own attestation, so neither a data manager nor a
  superuser without that membership signs), ``can_unlock(user, center_id)`` (its data
  managers and superusers);
- reference data (rule sets, titre thresholds, block criteria, nerve references):
  ``can_manage_reference_data(user, center_id=...)`` — a centre's rows: its data managers;
  the general rows (no centre): superusers.

Memberships are read once per user object: ``load_memberships`` prefetches them with
Django's public ``prefetch_related_objects`` (a no-op when already prefetched), and every
question reads ``user.memberships.all()`` from there — unless they were read elsewhere and
handed over with ``remember_memberships`` (the API's token authentication reads them in
the token's own query): then every question reads those, and nothing is prefetched.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from django.db.models import Model, Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from registry.models import Center, Role

if TYPE_CHECKING:  # the core imports no domain app at run time
    from patients.models import Patient

# Who may do what, by role; a role not named here may do none of it.
READERS = (Role.CLINICIAN, Role.DATA_MANAGER, Role.RESEARCHER)
WRITERS = (Role.CLINICIAN, Role.DATA_MANAGER)
IDENTIFIER_READERS = WRITERS
EXPORTERS = (Role.DATA_MANAGER, Role.RESEARCHER)
IDENTIFIER_EXPORTERS = (Role.DATA_MANAGER,)
IMPORTERS = (Role.DATA_MANAGER,)
ADMINS = (Role.DATA_MANAGER,)
REFERENCE_DATA_MANAGERS = (Role.DATA_MANAGER,)
# Data-quality queries (clinical-rules.md §11): read and answered by the centre's writers,
# raised by hand and closed by its data managers; researchers never see them.
QUERY_READERS = WRITERS
QUERY_MANAGERS = (Role.DATA_MANAGER,)
ACCESS_LOG_READERS = (Role.DATA_MANAGER,)
# Sign-off (clinical-rules.md §11): a clinician of the patient's centre signs what they
# reviewed; a data manager (or a superuser) unlocks a signed record with a reason.
SIGNERS = (Role.CLINICIAN,)
UNLOCKERS = (Role.DATA_MANAGER,)

# Direct identifiers (``patients.Identity``): withheld unless ``can_see_identifiers``.
IDENTIFIER_FIELDS = ("name", "date_of_birth", "hospital_number")

# The path from each centre-scoped model to its centre, for ``scope_queryset``.
CENTRE_PATHS: dict[str, str] = {
    "registry.center": "pk",
    "registry.membership": "center",
    "registry.accesslog": "center",
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
    "queries.query": "patient__center",
    "treatments.tailoringepisode": "patient__center",
}


def is_active(user) -> bool:
    """Logged in and not deactivated: anyone else is refused everything."""
    return bool(user.is_authenticated and user.is_active)


def is_superuser(user) -> bool:
    """An active superuser: every centre, every identifier."""
    return is_active(user) and bool(user.is_superuser)


class MembershipRow(NamedTuple):
    """What the policy reads of a membership (``registry.models.Membership``)."""

    center_id: int
    role: str


#: The attribute of our own (not Django's prefetch cache) holding memberships read
#: elsewhere: ``remember_memberships``.
_REMEMBERED = "_registry_memberships"


def remember_memberships(user, rows: Iterable[tuple[int, str]]) -> None:
    """Hand ``user`` its memberships, read by the caller as ``(center_id, role)`` pairs
    (every one of the user's memberships): every question then reads these, none is read
    again from the database for this user object."""
    setattr(user, _REMEMBERED, tuple(MembershipRow(center_id, role) for center_id, role in rows))


def load_memberships(user) -> None:
    """Read the user's memberships in one query, once per user object (nothing when they
    were read already: prefetched, or handed over by ``remember_memberships``)."""
    if user.pk is not None and not hasattr(user, _REMEMBERED):
        prefetch_related_objects([user], "memberships")


def _memberships(user):
    if not is_active(user) or user.pk is None:
        return ()
    remembered = getattr(user, _REMEMBERED, None)
    if remembered is not None:
        return remembered
    load_memberships(user)
    return list(user.memberships.all())


def _center_ids_with(user, roles) -> list[int] | None:
    """Centres where the user holds one of ``roles`` (``None``: every centre)."""
    if is_superuser(user):
        return None
    return [m.center_id for m in _memberships(user) if m.role in roles]


def _any_center(ids: list[int] | None) -> bool:
    return ids is None or bool(ids)


def _in(center_id: int | None, ids: list[int] | None) -> bool:
    return ids is None or (center_id is not None and center_id in ids)


def user_center_ids(user) -> list[int] | None:
    """The centres whose data the user reads, or ``None`` for a superuser (every centre)."""
    return _center_ids_with(user, READERS)


def user_roles(user) -> set[str]:
    """Every known role the user holds in any centre (a superuser holds none: it needs none)."""
    return {m.role for m in _memberships(user) if m.role in READERS}


def user_role(user, center_id: int | None = None) -> str | None:
    """The user's role (in ``center_id`` if given; otherwise the most restricted one)."""
    if is_superuser(user):
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
    """Sees no direct identifier anywhere: researchers (pseudonymised data everywhere), and
    anyone holding no role that sees them (nor anyone not logged in or deactivated)."""
    return identifiable_center_ids(user) == []


def writable_center_ids(user) -> list[int] | None:
    """Centres whose data the user writes: clinicians' and data managers' (``None``: all)."""
    return _center_ids_with(user, WRITERS)


def can_write(user, center_id: int | None) -> bool:
    return _in(center_id, writable_center_ids(user))


def identifiable_center_ids(user) -> list[int] | None:
    """Centres whose patients' identifiers the user sees (``None``: every centre)."""
    return _center_ids_with(user, IDENTIFIER_READERS)


def can_see_identifiers(user, center_id: int | None) -> bool:
    """Name, date of birth and hospital number: only the patient's own centre's clinicians
    and data managers (and superusers) see them; researchers never do."""
    return _in(center_id, identifiable_center_ids(user))


def export_center_ids(user) -> list[int] | None:
    """Centres whose patients the user exports: data managers (their centres) and
    researchers (pseudonymised, the same data the API gives them); clinicians read the
    cohort reports instead."""
    return _center_ids_with(user, EXPORTERS)


def can_export(user) -> bool:
    return _any_center(export_center_ids(user))


def export_identifier_center_ids(user) -> list[int] | None:
    """Centres whose patients' identifiers an export holds when asked for explicitly: the
    user's data-manager centres — never a researcher's."""
    return _center_ids_with(user, IDENTIFIER_EXPORTERS)


def can_export_identifiers(user) -> bool:
    return _any_center(export_identifier_center_ids(user))


def import_center_ids(user) -> list[int] | None:
    """Centres the user imports into: its data managers'."""
    return _center_ids_with(user, IMPORTERS)


def can_import(user) -> bool:
    """May open the import page and start an import (each row is then checked by centre)."""
    return _any_center(import_center_ids(user))


def can_import_into(user, center_id: int | None) -> bool:
    return _in(center_id, import_center_ids(user))


def admin_center_ids(user) -> list[int] | None:
    """Centres whose records the user manages in the admin (``None``: every centre)."""
    return _center_ids_with(user, ADMINS)


def access_log_center_ids(user) -> list[int] | None:
    """Centres whose access log (who saw which patient's identifiers) the user reads."""
    return _center_ids_with(user, ACCESS_LOG_READERS)


def can_read_access_log(user) -> bool:
    return _any_center(access_log_center_ids(user))


def can_admin_write(user, center_id: int | None) -> bool:
    return _in(center_id, admin_center_ids(user))


def can_sign(user, center_id: int | None) -> bool:
    """Only a clinician membership of the centre counts, a superuser's included."""
    return center_id is not None and any(
        m.center_id == center_id and m.role in SIGNERS for m in _memberships(user)
    )


def can_unlock(user, center_id: int | None) -> bool:
    return _in(center_id, _center_ids_with(user, UNLOCKERS))


def can_manage_reference_data(user, *, center_id: int | None = None) -> bool:
    """Rule sets, titre thresholds, block criteria and nerve references (clinical-rules.md):
    a centre's own rows (``center_id``) by its data managers; the general rows (no centre,
    the default) by superusers only."""
    if center_id is None:
        return is_superuser(user)
    return _in(center_id, _center_ids_with(user, REFERENCE_DATA_MANAGERS))


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
    target: Model | None = obj
    for hop in hops:
        target = getattr(target, hop, None)
        if target is None:
            return None
    return getattr(target, f"{last}_id", None)


def _consent_given(*, path: str = "", today: date | None = None) -> Q:
    """Patients (reached through ``path``) whose consent state is ``given`` today: the rule
    of ``patients.consent.consent_state`` as a query, built from the field names so that
    the policy imports no domain app."""
    prefix = f"{path}__consent__" if path else "consent__"
    today = today or timezone.localdate()
    return Q(**{f"{prefix}given_on__lte": today}) & (
        Q(**{f"{prefix}withdrawn_on__isnull": True}) | Q(**{f"{prefix}withdrawn_on__gt": today})
    )


def scope_reportable_patients(queryset: QuerySet[Patient], user) -> QuerySet[Patient]:
    """Patients that may appear in a report or export: the user's centres, consent given
    (recorded and not withdrawn, clinical-rules.md §8: secondary use needs a consent)."""
    return scope_patients(queryset, user).filter(_consent_given())


def research_center_ids(user) -> list[int]:
    """Centres where the user reads as a researcher (one role per centre)."""
    if not user.is_authenticated or user.is_superuser:
        return []
    # None (every centre) is only a superuser's, answered above.
    return _center_ids_with(user, (Role.RESEARCHER,)) or []


def scope_research_consent(queryset: QuerySet, user, *, path: str = "") -> QuerySet:
    """In the centres where the user is a researcher, only consented patients' rows
    (api.md: the researcher role's lists and details); ``path`` leads to the patient.
    Centres where the user is clinician or data manager are care: never filtered."""
    ids = research_center_ids(user)
    if not ids:
        return queryset
    prefix = f"{path}__" if path else ""
    return queryset.filter(~Q(**{f"{prefix}center_id__in": ids}) | _consent_given(path=path))


def patient_scope_key(user) -> tuple:
    """Everything the patients' filters of ``scope_patients`` and
    ``scope_research_consent`` read, of the user and of the day: requests with equal keys
    get the same filters, so their SQL may be compiled once (``registry.db.compiled``).
    Whatever those filters come to depend on belongs here too."""
    ids = user_center_ids(user)
    return (None if ids is None else tuple(ids), tuple(research_center_ids(user)),
            timezone.localdate())


def query_center_ids(user) -> list[int] | None:
    """Centres whose data-quality queries the user reads and answers (§11): clinicians'
    and data managers' (``None``: every centre)."""
    return _center_ids_with(user, QUERY_READERS)


def can_answer_query(user, center_id: int | None) -> bool:
    return _in(center_id, query_center_ids(user))


def query_manager_center_ids(user) -> list[int] | None:
    """Centres where the user raises queries by hand and closes them: data managers'."""
    return _center_ids_with(user, QUERY_MANAGERS)


def can_manage_queries(user, center_id: int | None) -> bool:
    return _in(center_id, query_manager_center_ids(user))
