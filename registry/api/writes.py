"""Every API write runs, with the answer built from it, in one transaction.

A 503 ("Nothing was saved") must mean that nothing was: if the answer were read back
after the write committed, a connection lost in between would turn a saved record into a
503, and a client retrying as told would save it twice (issue 20). So the write, the
re-read that builds the answer, and the ``Idempotency-Key`` record all commit together;
after the commit only the (non-blocking) enqueue runs, and the answer is in memory.
A connection lost during the COMMIT itself leaves the server's outcome unknown; with an
``Idempotency-Key`` the key's row, read again, settles it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

from django.db import DatabaseError, OperationalError, connection, transaction
from rest_framework import exceptions, status
from rest_framework.response import Response

from registry import idempotency
from registry.api.media import JSONRenderer

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REPLAYED_HEADER = "Idempotent-Replayed"


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = (
        f"This {idempotency.HEADER} was already used for another request (another body, "
        "method or path) in the last 24 hours; use a new key for a new request."
    )
    default_code = "idempotency_key_reused"


class KeyInFlight(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = (f"A request with this {idempotency.HEADER} is still being processed; "
                      "retry in a moment.")
    default_code = "idempotency_key_in_flight"


class OutcomeUnknown(OperationalError):
    """The connection was lost during the COMMIT of a write sent without an
    ``Idempotency-Key``: it may have been saved (the 503 says so, not "nothing saved")."""

    outcome_unknown = True  # read by registry.middleware


def request_key(request) -> str | None:
    key = request.headers.get(idempotency.HEADER)
    if key is None:
        return None
    problem = idempotency.key_problem(key)
    if problem:
        raise exceptions.ValidationError({idempotency.HEADER: [problem]})
    return key


def atomic_write(handler: Callable) -> Callable:
    """Wrap a view's write handler (``post``, ``put``, ``patch``, ``delete``): one
    transaction for the write and its answer; on POST, the ``Idempotency-Key``."""

    @functools.wraps(handler)
    def run(request, *args, **kwargs):
        key = request_key(request) if request.method == "POST" else None
        if key is None or not request.user.is_authenticated:
            return write(handler, request, *args, **kwargs)
        return write_once(handler, key, request, *args, **kwargs)

    return run


def write(handler: Callable, request, *args, **kwargs):
    if connection.in_atomic_block:
        # Already inside a transaction (a test's, or ATOMIC_REQUESTS): it holds the answer
        # too, and a savepoint would only add two queries to every write.
        return handler(request, *args, **kwargs)
    committing = False
    try:
        with transaction.atomic():
            response = handler(request, *args, **kwargs)
            committing = True
    except DatabaseError as error:
        if committing:  # lost during the COMMIT: saved or not, nobody here can say
            raise OutcomeUnknown(str(error)) from error
        raise
    return response


def write_once(handler: Callable, key: str, request, *args, **kwargs):
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, default=str).encode()
    fingerprint = idempotency.request_fingerprint(
        method=request.method, path=request.get_full_path(), body=body)
    claim = None
    committing = False
    try:
        with transaction.atomic():
            try:
                claim = idempotency.idempotency_claim(user=request.user, key=key,
                                                      fingerprint=fingerprint)
            except idempotency.KeyReused as error:
                raise KeyReused() from error
            except idempotency.KeyInFlight as error:
                raise KeyInFlight() from error
            if claim.stored is not None:
                status_code, stored = claim.stored
                return Response(json.loads(stored) if stored else None,
                                status=status_code, headers={REPLAYED_HEADER: "true"})
            response = handler(request, *args, **kwargs)
            data = getattr(response, "data", None)
            idempotency.idempotency_answer_store(
                claim=claim, status_code=response.status_code,
                body="" if data is None else JSONRenderer().render(data).decode(),
            )
            committing = True
    except DatabaseError:
        if not committing or not committed(claim):
            raise  # rolled back: the 503's "nothing was saved" is true
    return response


def committed(claim: idempotency.Claim | None) -> bool:
    """The connection failed during (or right after) the COMMIT: the server may have
    committed without saying so. The key's row tells, read over a new connection."""
    if claim is None:
        return False
    connection.close()
    return idempotency.idempotency_answer_kept(claim=claim)
