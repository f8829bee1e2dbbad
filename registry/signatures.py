"""Sign-off and locking (clinical-rules.md §11 "Sign-off"), for any ``SignedRecord``.

A clinician of the patient's centre signs a record by re-entering their password ("reviewed
and confirmed"); from then on the record is read-only on every surface: each write path of
a signed record's services calls ``check_unsigned`` first, whose ``RecordLocked`` the API
answers 423, the pages, the admin and the imports as a message. A data manager unlocks it
with a reason, which voids the signature. Signing and unlocking are saved like any change,
so the audit trail (django-simple-history) keeps them with who, when and why: the row's
user and date, its ``history_change_reason`` (``SIGNED`` / ``UNLOCKED``) and, for an
unlock, the reason itself (``unlock_reason``).

The signature covers the entered data, not the computed judgements: nothing here stops a
recompute, which writes the patient's outcome and never the signed record.

The domain services (``visit_sign``, ``series_unlock``, …) call these inside their own
transaction; the core knows no domain model.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from registry.models import SignedRecord
from registry.scoping import can_sign, can_unlock, center_id_of
from registry.services import lock, save_validated

S = TypeVar("S", bound=SignedRecord)

# What the audit row of a signing or an unlocking says (``history_change_reason``).
SIGNED = "signed: reviewed and confirmed"
UNLOCKED = "unlocked"


def signature_text(record: SignedRecord) -> str:
    """"signed by X on D", as every surface says it."""
    signer = record.signed_by if record.signed_by_id else None
    who = signer.get_username() if signer is not None else "someone"
    when = timezone.localtime(record.signed_at).date().isoformat() if record.signed_at else "?"
    return f"signed by {who} on {when}"


class RecordLocked(Exception):
    """A write to a signed record (the API answers 423 Locked)."""

    def __init__(self, record: SignedRecord):
        self.record = record
        noun = record._meta.verbose_name
        super().__init__(
            f"This {noun} is {signature_text(record)}: it is read-only until a data manager "
            "unlocks it with a reason."
        )


class SignOffRefused(PermissionDenied):
    """Signing or unlocking refused: not the right role here, or a wrong password (403)."""


def is_signed(record) -> bool:
    return getattr(record, "signed_at", None) is not None


def check_unsigned(record: SignedRecord) -> None:
    """Refuse any write to a signed record. The row is read again under ``FOR UPDATE``, so
    a signature cannot land between this check and the caller's write."""
    if record.pk is None:
        return
    current = type(record)._default_manager.select_for_update().filter(pk=record.pk).first()
    if current is not None and current.signed_at is not None:
        raise RecordLocked(current)


def password_confirmed(user, password: str, *, request=None) -> bool:
    """The user's password, re-entered. With the request (the pages and the API give it) it
    goes through Django's ``authenticate`` and so through django-axes: wrong re-entries
    count towards the sign-in lockout, and a locked-out account confirms nothing."""
    if request is None:
        return bool(user.check_password(password))
    confirmed = authenticate(request, username=user.get_username(), password=password)
    if getattr(request, "axes_locked_out", False):
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        raise SignOffRefused("Too many wrong passwords: this account is locked for "
                             f"{minutes} minutes from this address; nothing was signed.")
    return confirmed is not None and confirmed.pk == user.pk


def record_sign(record: S, *, password: str, by, request=None) -> S:
    """Sign ``record`` as ``by``, who confirms it with their password. Call it outside any
    transaction of your own (the password check must be kept when it fails); the
    signature itself is written in its own."""
    if not can_sign(by, center_id_of(record)):
        raise SignOffRefused("Only a clinician of the patient's centre signs its records.")
    if not password:
        raise ValidationError({"password": "Re-enter your password to sign."})
    # Checked before the write's transaction: django-axes' record of a wrong password must
    # survive the refusal (a rolled-back savepoint would forget it, and the lockout with it).
    if not password_confirmed(by, password, request=request):
        raise SignOffRefused("Wrong password: the record was not signed.")
    with transaction.atomic():
        current = lock(record)
        if current.signed_at is not None:
            raise RecordLocked(current)
        current.signed_by = by
        current.signed_at = timezone.now()
        return _save(current, reason=SIGNED, by=by)


def record_unlock(record: S, *, reason: str, by) -> S:
    """Void the signature of ``record`` (a data manager's, with the reason why)."""
    if not can_unlock(by, center_id_of(record)):
        raise SignOffRefused("Only a data manager of the patient's centre unlocks a signed "
                             "record.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for unlocking this signed record."})
    current = lock(record)
    if current.signed_at is None:
        raise ValidationError({NON_FIELD_ERRORS: (
            f"This {current._meta.verbose_name} is not signed: there is nothing to unlock.")})
    current.signed_by = None
    current.signed_at = None
    current.unlock_reason = reason
    return _save(current, reason=UNLOCKED, by=by)


def _save(record: S, *, reason: str, by) -> S:
    versioned: Any = record  # a SignedRecord is a VersionedModel too (the domain models)
    versioned.version += 1
    # django-simple-history reads the audit row's reason from this untyped attribute.
    record._change_reason = reason  # type: ignore[attr-defined]
    return save_validated(record, by=by)
