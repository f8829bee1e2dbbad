"""What every clinician page of the registry shares: a record found within the user's
centres, and a service's answer turned into form errors.

The core imports no domain app: each app's ``views.py`` passes its own queryset.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from registry.forms import SignForm, UnlockForm, put_errors
from registry.scoping import can_sign, can_unlock, can_write, center_id_of, scope_queryset
from registry.services import VersionConflict
from registry.signatures import RecordLocked, SignOffRefused, is_signed

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
    except (VersionConflict, RecordLocked) as refusal:
        form.add_error(None, str(refusal))
        return False
    except ValidationError as error:
        put_errors(form, error)
        return False
    return True


# Sign-off (clinical-rules.md §11): the sign and unlock pages, and what an edit page of a
# signed record shows instead of its form.

def signature_shown(record) -> str:
    """``registry.signatures.signature_text`` in the page's language and date format (the
    API keeps the English, ISO text)."""
    signer = record.signed_by if record.signed_by_id else None
    who = signer.get_username() if signer is not None else _("someone")
    when = (date_format(timezone.localtime(record.signed_at).date(), "SHORT_DATE_FORMAT")
            if record.signed_at else "?")
    return _("signed by %(who)s on %(when)s") % {"who": who, "when": when}


def locked_page(request, *, record, patient, title: str, unlock_url: str):
    """A signed record's edit page: who signed it and when, read-only, no form (a POST that
    reaches it changed nothing: 423)."""
    return render(request, "sign_off/locked.html", {
        "record": record, "patient": patient, "title": title,
        "signature": signature_shown(record),
        "unlock_url": unlock_url if can_unlock(request.user, center_id_of(record)) else "",
    }, status=423 if request.method == "POST" else 200)


def sign_off_page(request, *, record, patient, title: str, back: str, unlock: bool,
                  write: Callable[[str], Any]):
    """The sign page (password re-entry) or the unlock page (a reason) of a record; ``write``
    calls the domain service with the password or the reason."""
    center_id = center_id_of(record)
    if not (can_unlock if unlock else can_sign)(request.user, center_id):
        raise PermissionDenied(_("Only a data manager of the patient's centre unlocks a signed "
                                 "record.") if unlock else
                               _("Only a clinician of the patient's centre signs its records."))
    if is_signed(record) != unlock:
        messages.error(request, _("%(title)s is %(signature)s.") % {
                           "title": title, "signature": signature_shown(record)} if not unlock
                       else _("%(title)s is not signed: there is nothing to unlock.")
                       % {"title": title})
        return redirect(back)
    form = (UnlockForm if unlock else SignForm)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        field = "reason" if unlock else "password"
        try:
            write(form.cleaned_data[field])
        except SignOffRefused as refusal:
            form.add_error(None if unlock else "password", str(refusal))
        except RecordLocked as locked:
            messages.error(request, str(locked))
            return redirect(back)
        except ValidationError as error:
            put_errors(form, error)
        else:
            messages.success(request, (_("%(title)s unlocked.") if unlock
                                       else _("%(title)s signed.")) % {"title": title})
            return redirect(back)
    return render(request, "sign_off/form.html", {
        "form": form, "record": record, "patient": patient, "title": title, "back": back,
        "unlock": unlock, "signature": signature_shown(record) if unlock else "",
    })
