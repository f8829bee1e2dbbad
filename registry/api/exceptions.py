"""The services' errors as HTTP answers: DRF's ``EXCEPTION_HANDLER`` (``REST_FRAMEWORK``).

Writes go through the domain services, whose Django ``ValidationError`` becomes a 400 with
field keys (``{"field": ["message", …]}``, ``non_field_errors`` for the record as a whole)
whose ``VersionConflict`` becomes a 409, whose ``RecordLocked`` (a write to a signed record)
a 423 Locked and whose ``SignOffRefused`` a 403 with its reason. Everything else is DRF's
own handler.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from registry.services import VersionConflict
from registry.signatures import RecordLocked, SignOffRefused


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This record was changed by someone else; reload it."
    default_code = "version_conflict"


class Locked(exceptions.APIException):
    status_code = status.HTTP_423_LOCKED
    default_detail = "This record is signed: it is read-only until a data manager unlocks it."
    default_code = "signed"


def django_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    """A model ValidationError as DRF's ``{"field": ["message", …]}``."""
    if hasattr(error, "error_dict"):
        return {
            api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field: messages
            for field, messages in error.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: list(error.messages)}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, after the services' exceptions became DRF's."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=django_errors(exc))
    elif isinstance(exc, VersionConflict):
        exc = Conflict(detail=str(exc))
    elif isinstance(exc, RecordLocked):
        exc = Locked(detail=str(exc))
    elif isinstance(exc, SignOffRefused):
        exc = exceptions.PermissionDenied(detail=str(exc))
    return drf_exception_handler(exc, context)
