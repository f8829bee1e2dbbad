"""Clinician pages of the treatments domain: series entry, lot look-up, cohort reports."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

import catalogues as cat
from patients.models import Patient
from registry.models import Center
from registry.scoping import scope_centers, scope_patients
from registry.views import locked_page, save_or_errors, scoped_or_404, sign_off_page
from treatments import services
from treatments.forms import (
    AdverseEventFormSet,
    ConsumptionPeriodForm,
    DosingPreviewForm,
    SeriesForm,
    TailoringEpisodeForm,
    adverse_event_rows,
)
from treatments.models import BlockCriteriaSet, Series, TailoringEpisode
from treatments.reports import (
    consumption_report,
    measures_report,
    report_csv_rows,
    table1_report,
    table2_report,
)
from treatments.rules.consumption import consumption_csv_rows, default_period
from treatments.rules.course import DosingError
from treatments.selectors import (
    block_criteria_named,
    care_patients,
    lot_recipients,
    series_dosing_for,
    worklist,
)

REPORTS = {"table1": table1_report, "table2": table2_report, "measures": measures_report}


@login_required
def series_form(request, pk: int, series_pk: int | None = None):
    patient = scoped_or_404(
        request, Patient.objects.select_related("center", "outcome", "consent"), pk, write=True
    )
    series = get_object_or_404(Series, pk=series_pk, patient=patient) if series_pk else None
    if series and series.signed:  # read-only until a data manager unlocks it (§11)
        return locked_page(request, record=series, patient=patient, title=_title(series),
                           unlock_url=reverse("treatments:series_unlock", args=[pk, series.pk]))
    if series:
        initial = {"version": series.version,
                   "lot_numbers": "\n".join(lot.lot for lot in series.lots.all())}
    else:
        last = patient.series.order_by("-number").first()
        initial = {"number": services.series_next_number(patient=patient),
                   "dose_g_per_kg": "2.0", "days": 5,
                   "weight_kg": last.weight_kg if last else None,
                   "product": last.product if last else ""}
        # The course goes on as it went (§10): the last series' route, interval, height and
        # dose basis proposed; a first series is the loading dose.
        initial |= ({"route": last.route, "regimen": "maintenance",
                     "expected_interval_days": last.expected_interval_days,
                     "height_cm": last.height_cm, "dose_basis": last.dose_basis}
                    if last else
                    {"regimen": "loading", "expected_interval_days": None})
    form = SeriesForm(request.POST or None, instance=series, initial=initial)
    events = [{f: getattr(e, f) for f in AdverseEventFormSet.form._meta.fields or ()}
              for e in series.adverse_events.all()] if series else []
    formset = AdverseEventFormSet(request.POST or None, initial=events, prefix="events")
    if series:
        form.fields["number"].disabled = True
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        def write():
            data = form.data_fields()
            if series is None:
                services.series_give(patient=patient, data=data, lot_numbers=form.lots(),
                                     adverse_events=adverse_event_rows(formset),
                                     by=request.user)
            else:
                data.pop("number", None)
                services.series_update(series=series, version=form.cleaned_data.get("version"),
                                       data=data, lot_numbers=form.lots(),
                                       adverse_events=adverse_event_rows(formset),
                                       by=request.user)

        if save_or_errors(request, form, write):
            messages.success(request, _("Series saved."))
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "treatments/series_form.html",
                  {"form": form, "formset": formset, "patient": patient, "series": series})


def _title(series: Series) -> str:
    return _("Series %(number)s of %(date)s") % {
        "number": series.number, "date": date_format(series.started_on, "SHORT_DATE_FORMAT")}


def _series_sign_off(request, pk: int, series_pk: int, *, unlock: bool):
    patient = scoped_or_404(request, Patient.objects.select_related("center"), pk)
    series = get_object_or_404(Series.objects.select_related("signed_by"), pk=series_pk,
                               patient=patient)
    if unlock:
        def write(reason):
            services.series_unlock(series=series, reason=reason, by=request.user)
    else:
        def write(password):
            services.series_sign(series=series, password=password, by=request.user,
                                request=request)
    return sign_off_page(request, record=series, patient=patient, title=_title(series),
                         back=reverse("patients:detail", args=[pk]) + "#series",
                         unlock=unlock, write=write)


@login_required
def series_sign(request, pk: int, series_pk: int):
    return _series_sign_off(request, pk, series_pk, unlock=False)


@login_required
def series_unlock(request, pk: int, series_pk: int):
    return _series_sign_off(request, pk, series_pk, unlock=True)


@login_required
def series_dosing(request, pk: int):
    """The dosing weight and grams of the series being typed (clinical-rules.md §10): the
    same selector, hence the same rule, as the service that stores them. JSON; a refused
    input answers 400 with ``errors`` naming it."""
    patient = scoped_or_404(request, Patient.objects.all(), pk, write=True)
    form = DosingPreviewForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"errors": {name: " ".join(map(str, errors)) for name, errors
                                        in form.errors.items()}}, status=400)
    data = form.cleaned_data
    try:
        dosing = series_dosing_for(
            patient=patient, route=data["route"], dose_g_per_kg=data["dose_g_per_kg"],
            weight_kg=data["weight_kg"], height_cm=data["height_cm"],
            dose_basis=data["dose_basis"], started_on=data["started_on"])
    except DosingError as error:
        return JsonResponse({"errors": {error.field: error.message}}, status=400)
    return JsonResponse({"dosing_weight_kg": str(dosing.dosing_weight_kg),
                         "total_grams": str(dosing.total_grams),
                         "prescribed_grams": str(dosing.prescribed_grams),
                         "rules_version": dosing.rules_version})


@login_required
def tailoring_form(request, pk: int, episode_pk: int | None = None):
    """Add or edit a dose-tailoring episode (clinical-rules.md §10)."""
    patient = scoped_or_404(
        request, Patient.objects.select_related("center", "outcome", "consent"), pk, write=True
    )
    episode = (get_object_or_404(TailoringEpisode, pk=episode_pk, patient=patient)
               if episode_pk else None)
    initial = {"version": episode.version} if episode else {"started_on": timezone.localdate()}
    form = TailoringEpisodeForm(request.POST or None, instance=episode, initial=initial)
    if request.method == "POST" and form.is_valid():
        def write():
            if episode is None:
                services.tailoring_record(patient=patient, data=form.data_fields(),
                                          by=request.user)
            else:
                services.tailoring_update(episode=episode,
                                          version=form.cleaned_data.get("version"),
                                          data=form.data_fields(), by=request.user)

        if save_or_errors(request, form, write):
            messages.success(request, _("Tailoring episode saved."))
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/record_form.html", {
        "form": form, "patient": patient, "title": _("Tailoring episode"), "record": episode})


@login_required
def worklist_page(request):
    """The clinicians' home page (ui.md ``/worklist/``): due this week, overdue,
    outcomes still recomputing, open queries — the user's centres only."""
    today = timezone.localdate()
    return render(request, "treatments/worklist.html", {
        "today": today, "lists": worklist(patients=care_patients(request.user), today=today)})


@login_required
def lots(request):
    lot = request.GET.get("lot", "").strip()
    rows = []
    if lot:
        rows = lot_recipients(lot=lot, patients=scope_patients(Patient.objects.all(),
                                                              request.user))
    return render(request, "treatments/lots.html", {"lot": lot, "rows": rows})


def _report_args(request, *, criteria: bool = True) -> dict:
    """The reports' filters from the page's query; an unknown criteria set is a
    ValidationError naming ``criteria`` (the page says so beside the selector)."""
    center = request.GET.get("center") or None
    diagnosis = request.GET.get("diagnosis") or None
    if diagnosis and diagnosis not in cat.codes(cat.DIAGNOSES):
        diagnosis = None
    code = (request.GET.get("criteria") or None) if criteria else None
    return {"user": request.user, "center": center, "diagnosis": diagnosis,
            "criteria": block_criteria_named(code) if code else None}


@login_required
def reports(request):
    criteria_error, status = "", 200
    try:
        args = _report_args(request)
    except ValidationError as error:
        criteria_error, status = "; ".join(error.message_dict["criteria"]), 400
        args = _report_args(request, criteria=False)
    consumption, consumption_errors = _consumption(request, args)
    if consumption_errors:
        status = 400
    return render(request, "treatments/reports.html", {
        "table1": table1_report(**args), "table2": table2_report(**args),
        "measures": measures_report(**args),
        "consumption": consumption, "consumption_errors": consumption_errors,
        "consumption_groups": [(_("Diagnosis"), "diagnosis", consumption["by_diagnosis"]),
                               (_("Product"), "product", consumption["by_product"]),
                               (_("Centre"), "center", consumption["by_center"])],
        "consumption_query": _consumption_query(request),
        "query": request.GET.urlencode(),
        "centers": scope_centers(Center.objects.all(), request.user),
        "diagnoses": cat.DIAGNOSES, "center": args["center"] or "",
        "diagnosis": args["diagnosis"] or "",
        "criteria_sets": BlockCriteriaSet.objects.order_by("code"),
        "criteria": request.GET.get("criteria") or "", "criteria_error": criteria_error,
    }, status=status)


def _consumption(request, args: dict) -> tuple[dict, dict[str, str]]:
    """The consumption report of the page's period (``from``, ``to``; default: the year up
    to today) and the period's errors by field name."""
    form = ConsumptionPeriodForm({"start": request.GET.get("from") or None,
                                  "end": request.GET.get("to") or None})
    valid = form.is_valid()
    names = {"start": "from", "end": "to"}
    errors = ({names[k]: " ".join(map(str, v)) for k, v in form.errors.items()}
              if not valid else {})
    default_start, default_end = default_period(timezone.localdate())
    data = form.cleaned_data if valid else {}
    return consumption_report(
        user=request.user, start=data.get("start") or default_start,
        end=data.get("end") or default_end, center=args["center"],
        diagnosis=args["diagnosis"]), errors


def _consumption_query(request) -> str:
    return request.GET.urlencode()


@login_required
def consumption_csv(request):
    """The consumption report as CSV (the page's section; ``reports/consumption/?format=csv``
    in the API)."""
    args = _report_args(request, criteria=False)
    report, errors = _consumption(request, args)
    if errors:
        return HttpResponse("; ".join(f"{k}: {v}" for k, v in errors.items()), status=400,
                            content_type="text/plain; charset=utf-8")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="consumption.csv"'
    csv.writer(response).writerows(consumption_csv_rows(report))
    return response


@login_required
def report_csv(request, table: str):
    if table not in REPORTS:
        raise Http404(_("No such report."))
    try:
        args = _report_args(request)
    except ValidationError as error:
        return HttpResponse("; ".join(error.message_dict["criteria"]), status=400,
                            content_type="text/plain; charset=utf-8")
    report = REPORTS[table](**args)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{table}.csv"'
    csv.writer(response).writerows(report_csv_rows(report))
    return response
