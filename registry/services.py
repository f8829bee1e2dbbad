"""Write helpers every app's services share: validate, save, version, replace nested rows;
and the writes of memberships, which keep each user's role groups in step.

Services call these inside their own ``@transaction.atomic``; views, serializers, forms
and the admin call the services, never these directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth.models import Group
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.expressions import DatabaseDefault
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from registry.models import AccessLog, Center, Membership, Role, VersionedModel

M = TypeVar("M", bound=models.Model)
# A record with an optimistic-concurrency ``version``.
V = TypeVar("V", bound=VersionedModel | Center)


class VersionConflict(Exception):
    """The record changed since the client read it (optimistic concurrency, api.md)."""

    def __init__(self, *, current: int, sent: int | None):
        self.current = current
        self.sent = sent
        if sent is None:
            message = f"Send the version you read (current version is {current})."
        else:
            message = (
                f"This record was changed by someone else (version {sent} is stale, "
                f"current is {current}). Reload it and apply your change again."
            )
        super().__init__(message)


def _integrity_message(error: IntegrityError) -> str:
    text = str(error).splitlines()[0] if str(error) else "constraint violated"
    return f"The database refused this record: {text}"


def save_validated(instance: M, *, exclude: Iterable[str] = (), by=None) -> M:
    """``full_clean()`` then save; a constraint the database still refuses becomes a
    ValidationError, so callers answer 400 / a form error, never a 500."""
    if by is not None:
        # django-simple-history reads who made the change from this untyped attribute.
        instance._history_user = by  # type: ignore[attr-defined]
    instance.full_clean(exclude=list(exclude))
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        # A concurrent transaction may have committed the competing row (a unique key)
        # after our validation: validated again, it is seen, and named by its own message.
        instance.validate_constraints(exclude=list(exclude))
        raise ValidationError({NON_FIELD_ERRORS: [_integrity_message(error)]}) from error
    return instance


def lock(instance: M) -> M:
    """Re-read a row under ``SELECT … FOR UPDATE`` so version checks cannot interleave."""
    return type(instance)._default_manager.select_for_update().get(pk=instance.pk)


def apply_changes(
    instance: V, *, changes: Mapping[str, Any], version: int | None, by=None
) -> V:
    """Check the client's version against a locked row, apply the changes, bump the version."""
    if "patient" in changes and getattr(changes["patient"], "pk", changes["patient"]) != getattr(
        instance, "patient_id", None
    ):
        raise ValidationError({"patient": "A record cannot move to another patient."})
    current = lock(instance)
    if version is None or int(version) != current.version:
        raise VersionConflict(current=current.version, sent=version)
    for name, value in changes.items():
        setattr(current, name, value)
    current.version += 1
    return save_validated(current, by=by)


# A nested list's refusal names the element: each message is a ValidationError with code
# ``item`` (params: ``index``, ``field`` — "" for the element as a whole — and ``message``)
# or ``repeat`` (params: ``index``, ``repeats`` — the earlier element's index — and
# ``values``). Its text, "Item 1: grade: …" (api.md: errors name the element's index), is
# what the API answers; the importer reads the params to name the CSV row and column.
ITEM, REPEAT = "item", "repeat"


def item_error(*, index: int, field: str, message: str) -> ValidationError:
    text = "Item %(index)s: %(field)s: %(message)s" if field else "Item %(index)s: %(message)s"
    return ValidationError(text, code=ITEM,
                           params={"index": index, "field": field, "message": message})


def repeat_error(*, index: int, repeats: int, values: str) -> ValidationError:
    return ValidationError("Item %(index)s: repeats item %(repeats)s (%(values)s).", code=REPEAT,
                           params={"index": index, "repeats": repeats, "values": values})


def build_children(
    *, parent: models.Model, model: type[M], parent_field: str, rows: Sequence[Mapping[str, Any]],
    relation: str,
) -> list[M]:
    """Validate every nested row as a unit; one bad element rejects them all, naming its index."""
    children: list[M] = []
    errors: list[ValidationError] = []
    for index, row in enumerate(rows):
        child = model(**{parent_field: parent}, **row)
        try:
            # Field validation already covers what the children's CHECK constraints say
            # (choices, ranges, non-empty); Django would re-check each constraint with its
            # own query (three round trips each: 108 for a 12-muscle MRC grid, three
            # quarters of a visit POST; bench/README.md). The database still enforces them.
            child.full_clean(exclude=[parent_field], validate_unique=False,
                             validate_constraints=False)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                where = "" if field == NON_FIELD_ERRORS else field
                errors.extend(item_error(index=index, field=where, message=message)
                              for message in messages)
        children.append(child)
    if errors:
        raise ValidationError({relation: errors})
    return children


def check_repeats(children: Sequence[models.Model], *, unique_by: Sequence[str],
                  relation: str) -> None:
    """Refuse a nested list in which two elements repeat the same ``unique_by`` values."""
    if not unique_by:
        return
    seen: dict[tuple, int] = {}
    for index, child in enumerate(children):
        key = tuple(getattr(child, name) for name in unique_by)
        if key in seen:
            raise ValidationError({relation: [repeat_error(
                index=index, repeats=seen[key], values=", ".join(map(str, key)))]})
        seen[key] = index


def validate_new(instance: M, *, exclude: Iterable[str] = (), by=None,
                 checks: FieldChecks | None = None) -> M:
    """``save_validated``'s validation of a record not saved yet, for a bulk insert: the
    fields and ``clean()``; what only the database can judge (unique keys, CHECK
    constraints, foreign keys set from records at hand, listed in ``exclude``) is left to
    the database, which still enforces it: the caller writes in a savepoint and, refused,
    writes the same rows again one by one through the services, which name the row.
    ``checks``: the fields validated through it (each distinct value once)."""
    if by is not None:
        instance._history_user = by  # type: ignore[attr-defined]
    if checks is None:
        instance.full_clean(exclude=list(exclude), validate_unique=False,
                            validate_constraints=False)
        return instance
    # ``full_clean`` without the unique and constraint checks, as above: the fields, then
    # ``clean()`` even when a field failed.
    errors: dict[str, Any] = {}
    try:
        cleaned = checks.clean(type(instance), instance.__dict__, exclude=exclude,
                               instance=instance)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    else:
        for name, value in cleaned.items():
            setattr(instance, name, value)
    try:
        instance.clean()
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    return instance


class FieldChecks:
    """``Model.clean_fields`` for the records of a bulk insert, each field's validation
    (``Field.clean``: conversion, choices, null and blank, validators) run once per
    distinct value: it depends on the value alone — but for a relation's, which reads the
    database and is run every time (the bulk path leaves the relations to the database:
    ``exclude``). Distinct: equal values of the same type and, for a decimal, the same
    digits (``1.500`` is refused where ``1.5`` is not, by its number of decimal places)."""

    def __init__(self) -> None:
        # (field, type, value) → (the cleaned value, None) or (None, the errors)
        self.cache: dict[tuple, tuple[Any, list | None]] = {}
        self.checked: dict[tuple, tuple[models.Field, ...]] = {}

    def clean(self, model: type[models.Model], values: Mapping[str, Any], *,
              exclude: Iterable[str] = (), instance: models.Model | None = None
              ) -> dict[str, Any]:
        """The cleaned values (by attname) of the fields checked, from ``values`` (by
        attname, every field's); raises ``clean_fields``' ValidationError. Without an
        ``instance``, every relation must be in ``exclude``."""
        exclude = tuple(exclude)
        fields = self.checked.get((model, exclude))
        if fields is None:
            fields = self.checked[(model, exclude)] = tuple(
                f for f in model._meta.fields if f.name not in exclude and not f.generated)
        cache = self.cache
        cleaned: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for f in fields:
            raw = values[f.attname]
            if f.blank and raw in f.empty_values:
                continue
            if isinstance(raw, DatabaseDefault):
                continue
            if f.is_relation:
                if instance is None:
                    raise ValueError(f"{model.__name__}.{f.name}: a relation checked "
                                     "without its record")
                try:
                    cleaned[f.attname] = f.clean(raw, instance)
                except ValidationError as error:
                    errors[f.name] = error.error_list
                continue
            key = (f, raw.__class__, raw.as_tuple() if isinstance(raw, Decimal) else raw)
            hit = cache.get(key)
            if hit is None:
                try:
                    hit = (f.clean(raw, instance), None)
                except ValidationError as error:
                    hit = (None, error.error_list)
                cache[key] = hit
            value, failed = hit
            if failed is None:
                cleaned[f.attname] = value
            else:
                errors[f.name] = failed
        if errors:
            raise ValidationError(errors)
        return cleaned


def replace_children(
    *, parent: models.Model, model: type[M], parent_field: str, rows: Sequence[Mapping[str, Any]],
    relation: str, unique_by: Sequence[str] = (),
) -> list[M]:
    """Replace a parent's nested list whole (api.md): validate all, then delete and insert."""
    children = build_children(
        parent=parent, model=model, parent_field=parent_field, rows=rows, relation=relation
    )
    check_repeats(children, unique_by=unique_by, relation=relation)
    for old in model._default_manager.filter(**{parent_field: parent}):
        old.delete()  # one by one, so the audit trail records each removal
    try:
        with transaction.atomic():
            return bulk_create_with_history(children, model)
    except IntegrityError as error:
        raise ValidationError({relation: [_integrity_message(error)]}) from error


# Centres: created and renamed by superusers (api.md ``centers/``, the admin, ``grant``).

@transaction.atomic
def center_create(*, data: Mapping[str, Any], by=None) -> Center:
    return save_validated(Center(**data), by=by)


@transaction.atomic
def center_update(*, center: Center, version: int | None, data: Mapping[str, Any],
                  by=None) -> Center:
    return apply_changes(center, changes=data, version=version, by=by)


# Memberships and the role groups: a user's groups follow their memberships.

def user_groups_sync(*, user) -> None:
    """Put the user in exactly the role groups of the roles they hold; only data managers
    (and superusers) keep ``is_staff``, the key to the admin."""
    roles = set(user.memberships.values_list("role", flat=True))
    role_groups = list(Group.objects.filter(name__in=Role.values))
    user.groups.remove(*[g for g in role_groups if g.name not in roles])
    user.groups.add(*[g for g in role_groups if g.name in roles])
    staff = user.is_superuser or Role.DATA_MANAGER in roles
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])


@transaction.atomic
def membership_grant(*, user, center, role: str, by=None):
    """Give ``user`` ``role`` in ``center`` (replacing the role they had there)."""
    membership = Membership.objects.filter(user=user, center=center).first()
    membership = membership or Membership(user=user, center=center)
    membership.role = role
    save_validated(membership, by=by)
    user_groups_sync(user=user)
    return membership


@transaction.atomic
def membership_revoke(*, membership, by=None) -> None:
    membership._history_user = by
    user = membership.user
    membership.delete()
    user_groups_sync(user=user)


# The read-access log: every display of a patient's direct identifiers (docs/security.md).

def access_log_record(*, user, surface: str, patients: Iterable[Any], path: str = "",
                      username: str | None = None) -> int:
    """Record that ``user`` was shown the direct identifiers of ``patients`` (anything with
    ``pk``, ``code`` and ``center_id``) on ``surface`` (``AccessSurface``): one INSERT
    whatever their number. ``username`` names who ran it when there is no user (an export
    from the command line). Returns the number of entries written."""
    signed_in = getattr(user, "is_authenticated", False)
    username = user.get_username() if signed_in else username
    if not username:
        return 0
    now = timezone.now()
    entries = [
        AccessLog(at=now, user_id=user.pk if signed_in else None, username=username,
                  surface=surface,
                  center_id=p.center_id, patient_id=p.pk, patient_code=p.code,
                  path=path[:300])
        for p in patients
    ]
    if len(entries) == 1:
        entries[0].save(force_insert=True)
    elif entries:
        AccessLog.objects.bulk_create(entries)
    return len(entries)
