"""Pages: ``/queries/`` (filters, counts per centre, answer, close, raise by hand) and the
answer / close forms the patient page posts (clinical-rules.md §11; ui.md "Additions of
2026-12-01"). Writes go through ``queries.services``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from patients.models import Patient
from queries import services
from queries.forms import AnswerForm, CloseForm, QueryFilterForm, RaiseForm
from queries.links import record_url
from queries.models import ANSWERED, CLOSED, OPEN, RECORD_LABELS, Query
from queries.selectors import queries_to_work_on, query_counts_by_centre
from registry.scoping import (
    can_answer_query,
    can_manage_queries,
    load_memberships,
    query_center_ids,
    query_manager_center_ids,
    scope_patients,
)
from registry.services import VersionConflict

PAGE_SIZE = 50


def _readers_only(request) -> None:
    load_memberships(request.user)
    if query_center_ids(request.user) == []:
        raise PermissionDenied(_("Queries are for the clinicians and data managers of a centre."))


def _filtered(request, form: QueryFilterForm) -> QuerySet[Query]:
    rows = queries_to_work_on(request.user).order_by("-raised_at", "-id")
    unresolved = rows.filter(status__in=(OPEN, ANSWERED))
    if not form.is_valid():
        return unresolved
    data = form.cleaned_data
    if data["status"] == "all":
        pass
    elif data["status"]:
        rows = rows.filter(status=data["status"])
    else:
        rows = unresolved
    if data["rule"]:
        rows = rows.filter(rule=data["rule"])
    if data["center"]:
        rows = rows.filter(patient__center_id=data["center"])
    if data["patient"]:
        rows = rows.filter(patient__code__iexact=data["patient"].strip())
    return rows


def decorate(user, rows) -> list[Query]:
    """Each query with its record's page and what the user may do to it."""
    for query in rows:
        center_id = query.patient.center_id
        query.url = record_url(query)
        query.may_answer = query.status != CLOSED and can_answer_query(user, center_id)
        query.may_close = query.status != CLOSED and can_manage_queries(user, center_id)
    return list(rows)


@login_required
@require_GET
def query_list(request) -> HttpResponse:
    _readers_only(request)
    form = QueryFilterForm(request.GET or None)
    page = Paginator(_filtered(request, form), PAGE_SIZE).get_page(request.GET.get("page"))
    filters = request.GET.copy()
    filters.pop("page", None)
    managed = query_manager_center_ids(request.user)
    return render(request, "queries/list.html", {
        "form": form, "page": page, "queries": decorate(request.user, page),
        "counts": query_counts_by_centre(request.user), "filters": filters.urlencode(),
        "may_raise": managed is None or bool(managed),
        "raise_form": RaiseForm(), "close_form": CloseForm(),
    })


def _back(request):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect("queries:list")


def _refusal(request, error: Exception) -> None:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
    elif isinstance(error, ValidationError):
        messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, str(error))


def _form_refusal(request, form) -> None:
    for field, errors in form.errors.items():
        messages.error(request, f"{field}: {' '.join(errors)}")


@login_required
@require_POST
def query_answer(request, pk: int) -> HttpResponse:
    _readers_only(request)
    query = get_object_or_404(queries_to_work_on(request.user), pk=pk)
    if not can_answer_query(request.user, query.patient.center_id):
        raise PermissionDenied(_("Only the patient's centre answers its queries."))
    form = AnswerForm(request.POST)
    if not form.is_valid():
        _form_refusal(request, form)
        return _back(request)
    try:
        services.query_answer(query=query, version=form.cleaned_data["version"],
                              answer=form.cleaned_data["answer"], by=request.user)
    except (ValidationError, VersionConflict) as error:
        _refusal(request, error)
    else:
        messages.success(request, _("Answered the query on %(code)s.") % {
            "code": query.patient.code})
    return _back(request)


@login_required
@require_POST
def query_close(request, pk: int) -> HttpResponse:
    _readers_only(request)
    query = get_object_or_404(queries_to_work_on(request.user), pk=pk)
    if not can_manage_queries(request.user, query.patient.center_id):
        raise PermissionDenied(_("Only a data manager of the patient's centre closes a query."))
    form = CloseForm(request.POST)
    if not form.is_valid():
        _form_refusal(request, form)
        return _back(request)
    try:
        services.query_close(query=query, version=form.cleaned_data["version"],
                             reason=form.cleaned_data["reason"], by=request.user)
    except (ValidationError, VersionConflict) as error:
        _refusal(request, error)
    else:
        messages.success(request, _("Closed the query on %(code)s.") % {"code": query.patient.code})
    return _back(request)


@login_required
@require_POST
def query_raise(request) -> HttpResponse:
    _readers_only(request)
    form = RaiseForm(request.POST)
    if not form.is_valid():
        _form_refusal(request, form)
        return _back(request)
    data = form.cleaned_data
    patient = scope_patients(Patient.objects.all(), request.user).filter(
        code__iexact=data["patient"].strip()).first()
    if patient is None:
        messages.error(request, _("patient: no patient %(code)s in your centres.") % {
            "code": data["patient"]})
        return _back(request)
    if not can_manage_queries(request.user, patient.center_id):
        raise PermissionDenied(_("Only a data manager of the patient's centre raises a query."))
    record_id = data["record_id"] or (patient.pk if data["record"] == "patient" else None)
    try:
        services.query_raise(patient=patient, message=data["message"], by=request.user,
                             record_model=RECORD_LABELS[data["record"]], record_id=record_id)
    except ValidationError as error:
        _refusal(request, error)
    else:
        messages.success(request, _("Raised a query on %(code)s.") % {"code": patient.code})
    return _back(request)
