"""What every clinician page of the registry shares: a record found within the user's
centres, and a service's answer turned into form errors.

The core imports no domain app: each app's ``views.py`` passes its own queryset.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from registry.forms import put_errors
from registry.scoping import can_write, center_id_of, scope_queryset
from registry.services import VersionConflict

M = TypeVar("M", bound=Model)


def scoped_or_404(request, queryset: QuerySet[M], pk: int, *, write: bool = False) -> M:
    """The record if the user's centres hold it (else 404); writes need a writing role."""
    record = get_object_or_404(scope_queryset(queryset, request.user), pk=pk)
    if write and not can_write(request.user, center_id_of(record)):
        raise PermissionDenied(_("Recording data needs a clinician or data-manager role here."))
    return record


def save_or_errors(request, form, write: Callable[[], Any]) -> bool:
    """Call a service; put its errors on the form. True when saved."""
    try:
        write()
    except VersionConflict as conflict:
        form.add_error(None, str(conflict))
        return False
    except ValidationError as error:
        put_errors(form, error)
        return False
    return True
