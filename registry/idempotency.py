"""``Idempotency-Key``: a POST retried with the same key and body is answered once.

A client that lost an answer (a timeout, a 503, a dropped connection) cannot know whether
its POST was saved; resending it with the same ``Idempotency-Key`` header is always safe.
The key is claimed by inserting its row *inside the POST's own transaction*: a second
request with the same key waits on the unique index until the first commits (then it
reads the stored answer) or rolls back (then it runs). So a key is on record exactly when
its write committed, and two requests with one key never write twice.

Keys are per user and kept 24 hours (docs/api-decisions.md "Idempotency-Key").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from registry.models import IdempotencyKey

HEADER = "Idempotency-Key"
LIFETIME = timedelta(hours=24)
MAX_LENGTH = 255


class KeyReused(Exception):
    """The key was used, within its lifetime, for a request with another method, path or
    body."""


class KeyInFlight(Exception):
    """The key's first request has not finished (only seen when its row was committed
    without an answer, which the POST's single transaction rules out)."""


def key_problem(key: str) -> str | None:
    """Why a header value cannot be a key, or None."""
    if not key or len(key) > MAX_LENGTH:
        return f"Send 1 to {MAX_LENGTH} characters (a UUID is a good key)."
    if not key.isascii() or not key.isprintable():
        return "Use printable ASCII characters only (a UUID is a good key)."
    return None


def request_fingerprint(*, method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


@dataclass(frozen=True)
class Claim:
    """A key claimed for this request (``stored`` is None) or the answer it already got."""

    row: IdempotencyKey
    stored: tuple[int, str] | None = None


def idempotency_claim(*, user, key: str, fingerprint: str,
                      now: datetime | None = None) -> Claim:
    """Claim ``key`` for this request, in the caller's transaction (which must also hold
    the request's writes and ``idempotency_answer_store``).

    Raises ``KeyReused`` when the key answered another request within its lifetime.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():  # a savepoint: the unique violation leaves the rest
            row = IdempotencyKey.objects.create(user=user, key=key, fingerprint=fingerprint,
                                                created_at=now)
        return Claim(row=row)
    except IntegrityError:
        pass  # the key committed by an earlier (or the concurrent, now finished) request
    row = IdempotencyKey.objects.select_for_update().get(user=user, key=key)
    if row.created_at <= now - LIFETIME:  # expired: the key starts afresh
        row.fingerprint, row.status_code, row.body, row.created_at = fingerprint, None, "", now
        row.save(update_fields=["fingerprint", "status_code", "body", "created_at"])
        return Claim(row=row)
    if row.fingerprint != fingerprint:
        raise KeyReused
    if row.status_code is None:
        raise KeyInFlight
    return Claim(row=row, stored=(row.status_code, row.body))


def idempotency_answer_store(*, claim: Claim, status_code: int, body: str) -> None:
    """Keep the answer of a successful request; any other answer releases the key (the
    request wrote nothing, so a retry may run again)."""
    if 200 <= status_code < 300:
        claim.row.status_code, claim.row.body = status_code, body
        claim.row.save(update_fields=["status_code", "body"])
    else:
        claim.row.delete()


def idempotency_answer_kept(*, claim: Claim) -> bool:
    """Whether the claim's answer was committed (asked after a failed COMMIT)."""
    return IdempotencyKey.objects.filter(
        pk=claim.row.pk, fingerprint=claim.row.fingerprint, status_code__isnull=False,
    ).exists()


def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    """Forget keys past their lifetime (run by beat; an expired key is reclaimed anyway)."""
    deleted, _ = IdempotencyKey.objects.filter(
        created_at__lte=(now or timezone.now()) - LIFETIME
    ).delete()
    return deleted
