"""Clinician pages of the patients domain: list, patient at a glance, entry forms."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

import catalogues as cat
from patients import services
from patients.consent import consent_state_of
from patients.forms import (
    NerveStudyForm,
    ParaproteinForm,
    PatientForm,
    PriorTreatmentForm,
    SegmentFormSet,
    TitreForm,
    VisitForm,
    segment_rows,
)
from patients.models import (
    Identity,
    NerveStudy,
    Paraprotein,
    Patient,
    PriorTreatment,
    Titre,
    Visit,
)
from patients.selectors import patient_history
from registry.models import AccessSurface, Center, Role
from registry.scoping import (
    can_see_identifiers,
    can_sign,
    can_unlock,
    can_write,
    is_researcher_only,
    scope_centers,
    scope_patients,
    scope_queryset,
    user_roles,
    writable_center_ids,
)
from registry.services import access_log_record
from registry.views import locked_page, save_or_errors, scoped_or_404, sign_off_page
from treatments.models import BlockCriteriaSet
from treatments.selectors import (
    block_criteria_named,
    blocks_under,
    outcome_series_results,
    outcome_tailoring_results,
    outcome_visit_scores,
    titre_significance_reader,
)

PAGE_SIZE = 50


def scoped_patient(request, pk: int, *, write: bool = False) -> Patient:
    """The patient if the user's centres hold it (else 404); writes need a writing role."""
    patients = Patient.objects.select_related("center", "outcome", "consent")
    return scoped_or_404(request, patients, pk, write=write)


@login_required
def home(request):
    """``/``: the worklist for clinicians (ui.md), the patient list for everyone else."""
    if Role.CLINICIAN in user_roles(request.user):
        return redirect("treatments:worklist")
    return redirect("patients:list")


@login_required
def patient_list(request):
    patients = scope_patients(Patient.objects.all(), request.user)
    query = request.GET.get("q", "").strip()
    diagnosis = request.GET.get("diagnosis", "")
    center = request.GET.get("center", "")
    status = request.GET.get("status", "")
    if query:
        patients = patients.filter(code__icontains=query)
    if diagnosis:
        patients = patients.filter(diagnosis=diagnosis)
    if center.isdigit():
        patients = patients.filter(center_id=int(center))
    if status:
        patients = patients.filter(outcome__status=status)
    patients = (
        patients.select_related("center", "outcome")
        .annotate(series_count=Count("series", distinct=True),
                  last_visit=Max("visits__visited_on"))
        .order_by("code")
    )
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(request, "patients/list.html", {
        "page": page, "q": query, "diagnosis": diagnosis, "center": center, "status": status,
        "diagnoses": cat.DIAGNOSES, "statuses": cat.OUTCOME_STATUSES,
        "centers": scope_centers(Center.objects.all(), request.user),
        "filters": filters.urlencode(),
        "can_create": not is_researcher_only(request.user),
    })


@login_required
def patient_edit(request, pk: int):
    patient = scoped_patient(request, pk, write=True)
    with_identity = can_see_identifiers(request.user, patient.center_id)
    initial = {"version": patient.version, "affected_nerves": [
        f"{n.side}:{n.nerve}" for n in patient.affected_nerves.all()],
        **PatientForm.related_initial(patient, with_identity=with_identity)}
    form = PatientForm(request.POST or None, instance=patient, initial=initial,
                       centers=Center.objects.filter(pk=patient.center_id),
                       with_identity=with_identity)
    form.fields["center"].disabled = True
    if with_identity and request.method == "GET" and hasattr(patient, "identity"):
        access_log_record(user=request.user, surface=AccessSurface.PAGE, patients=[patient],
                          path=request.path)
    if request.method == "POST" and form.is_valid():
        def write():
            services.patient_update(
                patient=patient, version=form.cleaned_data.get("version"),
                data=form.data_fields(), affected_nerves=form.nerves(),
                consent=form.consent(), identity=form.identity(), by=request.user,
            )

        if save_or_errors(request, form, write):
            messages.success(request, _("Patient saved."))
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/patient_form.html", {"form": form, "patient": patient})


def _writable_centers(user):
    return scope_queryset(Center.objects.all(), user, center_ids=writable_center_ids(user))


@login_required
def patient_create(request):
    centers = _writable_centers(request.user)
    if not centers.exists():
        raise PermissionDenied(_("Creating a patient needs a clinician or data-manager role."))
    only = list(centers[:2])
    initial = {"center": only[0].pk} if len(only) == 1 else {}
    # Every centre offered is one the user writes in, where they also see identifiers.
    form = PatientForm(request.POST or None, centers=centers, initial=initial,
                       with_identity=True)
    if request.method == "POST" and form.is_valid():
        created = {}

        def write():
            center = form.cleaned_data["center"]
            identity = form.identity() if can_see_identifiers(request.user, center.pk) else None
            created["patient"] = services.patient_create(
                center=center, data=form.data_fields(), affected_nerves=form.nerves(),
                consent=form.consent(), identity=identity, by=request.user,
            )

        if save_or_errors(request, form, write):
            return redirect("patients:detail", pk=created["patient"].pk)
    return render(request, "patients/patient_form.html", {"form": form})


def _titres(patient: Patient) -> list[Titre]:
    """The titres, each marked ``significant`` by the rules (clinical-rules.md §5): the
    same function, thresholds and answer as the API, the exports and the outcome."""
    significance = titre_significance_reader()
    titres = list(patient.titres.all())
    for titre in titres:
        # Read by the template only (not a model field).
        titre.significant = significance(titre, patient.center_id)  # type: ignore[attr-defined]
    return titres


@login_required
def patient_detail(request, pk: int):
    patient = scoped_patient(request, pk)
    identifiers = can_see_identifiers(request.user, patient.center_id)
    identity = Identity.objects.filter(patient=patient).first() if identifiers else None
    if identity is not None:
        access_log_record(user=request.user, surface=AccessSurface.PAGE, patients=[patient],
                          path=request.path)
    outcome = getattr(patient, "outcome", None)
    result = outcome.result if outcome else {}
    series = list(
        patient.series.select_related("signed_by").prefetch_related("lots", "adverse_events")
        .order_by("number")
    )
    computed_series = outcome_series_results(result)
    for item in series:
        # Read by the template only (not a model field).
        item.computed = computed_series.get(item.number, {})  # type: ignore[attr-defined]
    visits = list(patient.visits.select_related("series", "signed_by")
                  .order_by("visited_on", "id"))
    scores = outcome_visit_scores(result)
    for visit in visits:
        visit.score = scores.get(visit.pk)  # type: ignore[attr-defined]  # for the template
    tailoring = list(patient.tailoring_episodes.all())
    computed_tailoring = outcome_tailoring_results(result)
    for episode in tailoring:
        # Read by the template only (not a model field): the stored outcome's result.
        episode.computed = computed_tailoring.get(episode.pk, {})  # type: ignore[attr-defined]
    studies = list(patient.nerve_studies.prefetch_related(
        Prefetch("segments")).order_by("studied_on"))
    blocks, criteria_error = _blocks_section(request, patient, result)
    return render(request, "patients/detail.html", {
        "patient": patient, "identity": identity, "researcher": not identifiers,
        "consent": getattr(patient, "consent", None),
        "consent_state": consent_state_of(patient),
        "outcome": outcome, "result": result,
        "writable": can_write(request.user, patient.center_id),
        # sign-off (clinical-rules.md §11): who may sign, who may unlock
        "can_sign": can_sign(request.user, patient.center_id),
        "can_unlock": can_unlock(request.user, patient.center_id),
        "titres": _titres(patient),
        "paraproteins": list(patient.paraproteins.all()),
        "prior_treatments": list(patient.prior_treatments.all()),
        "affected_nerves": list(patient.affected_nerves.all()),
        "series_list": series, "visits": visits, "studies": studies, "tailoring": tailoring,
        "blocks": blocks, "criteria_sets": list(BlockCriteriaSet.objects.values_list(
            "code", flat=True)), "criteria_error": criteria_error,
        "history": patient_history(patient.pk, with_identity=identifiers)[:100],
    }, status=400 if criteria_error else 200)


def _blocks_section(request, patient: Patient, result: dict) -> tuple[dict, str]:
    """The conduction-block summary the page shows: the stored outcome's, or under the
    criteria set chosen with ``?criteria=`` (clinical-rules.md §4; for this view only).
    An unknown set is said and the stored summary shown."""
    stored = result.get("conduction_blocks") or {}
    code = request.GET.get("criteria")
    if not code or code == stored.get("criteria"):
        return stored, ""
    try:
        criteria = block_criteria_named(code)
    except ValidationError as error:
        return stored, "; ".join(error.message_dict["criteria"])
    return blocks_under(patient_id=patient.pk, criteria=criteria), ""


def _record_page(request, pk, *, form_class, record=None, create=None, update=None,
                 title: str, **form_kwargs):
    """The create/edit page of a simple record, with the version check on edits."""
    patient = scoped_patient(request, pk, write=True)
    initial = {"version": record.version} if record else {}
    form = form_class(request.POST or None, instance=record, initial=initial, **form_kwargs)
    if request.method == "POST" and form.is_valid():
        def write():
            if record is None:
                create(patient=patient, data=form.data_fields(), by=request.user)
            else:
                update(record=record, version=form.cleaned_data.get("version"),
                       data=form.data_fields(), by=request.user)

        if save_or_errors(request, form, write):
            messages.success(request, f"{title} saved.")
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/record_form.html",
                  {"form": form, "patient": patient, "title": title, "record": record})


def _record(model, patient_pk: int, pk: int):
    return get_object_or_404(model, pk=pk, patient_id=patient_pk)


@login_required
def titre_new(request, pk: int):
    return _record_page(request, pk, form_class=TitreForm, create=services.titre_record,
                        title=_("Antibody titre"))


@login_required
def titre_edit(request, pk: int, record_pk: int):
    scoped_patient(request, pk, write=True)
    return _record_page(request, pk, form_class=TitreForm, record=_record(Titre, pk, record_pk),
                        update=services.record_update, title=_("Antibody titre"))


@login_required
def paraprotein_new(request, pk: int):
    return _record_page(request, pk, form_class=ParaproteinForm,
                        create=services.paraprotein_record, title=_("Monoclonal protein"))


@login_required
def paraprotein_edit(request, pk: int, record_pk: int):
    scoped_patient(request, pk, write=True)
    return _record_page(request, pk, form_class=ParaproteinForm,
                        record=_record(Paraprotein, pk, record_pk),
                        update=services.record_update, title=_("Monoclonal protein"))


@login_required
def prior_treatment_new(request, pk: int):
    return _record_page(request, pk, form_class=PriorTreatmentForm,
                        create=services.prior_treatment_record, title=_("Prior treatment"))


@login_required
def prior_treatment_edit(request, pk: int, record_pk: int):
    scoped_patient(request, pk, write=True)
    return _record_page(request, pk, form_class=PriorTreatmentForm,
                        record=_record(PriorTreatment, pk, record_pk),
                        update=services.record_update, title=_("Prior treatment"))


def _proposed_series(patient: Patient, day: date):
    """The latest series started on or before ``day``: the one a new visit most likely follows."""
    return patient.series.filter(started_on__lte=day).order_by("-started_on").first()


@login_required
def visit_form(request, pk: int, visit_pk: int | None = None):
    patient = scoped_patient(request, pk, write=True)
    visit = _record(Visit, pk, visit_pk) if visit_pk else None
    if visit and visit.signed:  # read-only until a data manager unlocks it (§11)
        return locked_page(request, record=visit, patient=patient, title=_visit_title(visit),
                           unlock_url=reverse("patients:visit_unlock", args=[pk, visit.pk]))
    if visit:
        initial = {"version": visit.version}
        for grade in visit.mrc.all():
            initial[f"mrc_{grade.muscle}_{grade.side}"] = grade.grade
    else:
        today = date.today()
        proposed = _proposed_series(patient, today)
        initial = {"visited_on": today, "series": proposed.pk if proposed else None,
                   "kind": "post_series" if proposed else "baseline"}
    form = VisitForm(request.POST or None, instance=visit, initial=initial, patient=patient)
    if request.method == "POST" and form.is_valid():
        def write():
            if visit is None:
                services.visit_record(patient=patient, data=form.data_fields(), mrc=form.mrc(),
                                      by=request.user)
            else:
                services.visit_update(visit=visit, version=form.cleaned_data.get("version"),
                                      data=form.data_fields(), mrc=form.mrc(), by=request.user)

        if save_or_errors(request, form, write):
            messages.success(request, _("Visit saved."))
            return redirect("patients:detail", pk=patient.pk)
    series_dates = [(s.pk, s.started_on.isoformat()) for s in patient.series.order_by("number")]
    return render(request, "patients/visit_form.html", {
        "form": form, "patient": patient, "visit": visit, "series_dates": series_dates,
    })


def _visit_title(visit: Visit) -> str:
    return _("Visit of %(date)s (%(kind)s)") % {
        "date": date_format(visit.visited_on, "SHORT_DATE_FORMAT"),
        "kind": _(visit.get_kind_display())}


def _visit_sign_off(request, pk: int, visit_pk: int, *, unlock: bool):
    patient = scoped_patient(request, pk)
    visit = get_object_or_404(Visit.objects.select_related("signed_by"), pk=visit_pk,
                              patient=patient)
    if unlock:
        def write(reason):
            services.visit_unlock(visit=visit, reason=reason, by=request.user)
    else:
        def write(password):
            services.visit_sign(visit=visit, password=password, by=request.user,
                                request=request)
    return sign_off_page(request, record=visit, patient=patient, title=_visit_title(visit),
                         back=reverse("patients:detail", args=[pk]) + "#visits",
                         unlock=unlock, write=write)


@login_required
def visit_sign(request, pk: int, visit_pk: int):
    return _visit_sign_off(request, pk, visit_pk, unlock=False)


@login_required
def visit_unlock(request, pk: int, visit_pk: int):
    return _visit_sign_off(request, pk, visit_pk, unlock=True)


@login_required
def nerve_study_form(request, pk: int, study_pk: int | None = None):
    patient = scoped_patient(request, pk, write=True)
    study = _record(NerveStudy, pk, study_pk) if study_pk else None
    form = NerveStudyForm(request.POST or None, instance=study,
                          initial={"version": study.version} if study else {})
    initial_segments = [
        {f: getattr(s, f) for f in SegmentFormSet.form._meta.fields or ()}
        for s in study.segments.all()
    ] if study else []
    formset = SegmentFormSet(request.POST or None, initial=initial_segments, prefix="segments")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        def write():
            if study is None:
                services.nerve_study_record(patient=patient, data=form.data_fields(),
                                            segments=segment_rows(formset), by=request.user)
            else:
                services.nerve_study_update(
                    study=study, version=form.cleaned_data.get("version"),
                    data=form.data_fields(), segments=segment_rows(formset), by=request.user)

        if save_or_errors(request, form, write):
            messages.success(request, _("Nerve-conduction study saved."))
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/nerve_study_form.html", {
        "form": form, "formset": formset, "patient": patient, "study": study,
    })


SUMMARY_VISITS = 6  # the last visits on the one-page summary


@login_required
def patient_summary_pdf(request, pk: int):
    """The printable one-page summary (WeasyPrint): identity where the user may see it,
    diagnosis, current treatment, the stored outcome with its chart, the last visits."""
    from django.http import HttpResponse
    from django.template.loader import render_to_string
    from django.utils import timezone
    from weasyprint import HTML  # imported here: pango is loaded only for a PDF

    patient = scoped_patient(request, pk)
    identifiers = can_see_identifiers(request.user, patient.center_id)
    outcome = getattr(patient, "outcome", None)
    result = outcome.result if outcome else {}
    series = list(patient.series.order_by("number"))
    visits = list(patient.visits.select_related("series").order_by("visited_on", "id"))
    scores = outcome_visit_scores(result)
    for visit in visits:
        visit.score = scores.get(visit.pk)  # type: ignore[attr-defined]  # for the template
    html = render_to_string("patients/summary_pdf.html", {
        "patient": patient, "researcher": not identifiers,
        "identity": Identity.objects.filter(patient=patient).first() if identifiers else None,
        "outcome": outcome, "result": result, "series_list": series,
        "current": series[-1] if series else None,
        "visits": visits[-SUMMARY_VISITS:], "visit_count": len(visits),
        "printed_at": timezone.localtime(),
    }, request=request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{patient.code}-summary.pdf"'
    response["Cache-Control"] = "no-store"  # it may carry identifiers
    return response
