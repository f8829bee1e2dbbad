"""API views of the treatments domain: series, a patient's outcome, lot look-ups and cohort
reports."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import OuterRef, Subquery
from django.db.models.fields.json import KeyTransform
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, permissions, renderers, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

import catalogues as cat
from patients.models import Patient
from registry.api.media import JSONRenderer
from registry.api.ordering import ordering_description, ordering_schema, ordering_terms, sort_rows
from registry.api.permissions import WriteRole
from registry.api.signatures import SignOffActions, sign_off_schema
from registry.api.viewsets import RegistryViewMixin, RegistryViewSet
from registry.db.compiled import rows_by_pk
from registry.scoping import (
    patient_scope_key,
    scope_by_patient,
    scope_patients,
    scope_research_consent,
)
from treatments import services
from treatments.api.filters import SeriesFilter, TailoringEpisodeFilter
from treatments.api.outcome import (
    CRITERIA_PARAMETER,
    LotRecipientSerializer,
    MeasuresReportSerializer,
    OutcomeSerializer,
    Table1Serializer,
    Table2Serializer,
    outcome_payload,
    stored_outcome_payload,
)
from treatments.api.serializers import SeriesSerializer, TailoringEpisodeSerializer
from treatments.models import LotNumber, Outcome, Series, TailoringEpisode
from treatments.reports import (
    consumption_report,
    measures_report,
    report_csv_rows,
    table1_report,
    table2_report,
)
from treatments.rules import BlockCriteria
from treatments.rules.consumption import consumption_csv_rows, default_period
from treatments.selectors import (
    block_criteria_named,
    blocks_under,
    care_patients,
    lot_recipients,
    worklist,
)


@extend_schema_view(**sign_off_schema(SeriesSerializer, destroy=False))
class SeriesViewSet(SignOffActions, RegistryViewSet):
    """IVIg series are traceability records: never deleted (mark one as stopped). A signed
    series (clinical-rules.md §11) is read-only, its lots and adverse events included: PUT
    and PATCH answer 423."""

    serializer_class = SeriesSerializer
    filterset_class = SeriesFilter
    ordering_fields = ["started_on", "number", "id"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    nested = ("lot_numbers", "adverse_events")

    def get_queryset(self):
        previous = Series.objects.filter(
            patient=OuterRef("patient"), number__lt=OuterRef("number")
        ).order_by("-number").values("started_on")[:1]
        series = scope_by_patient(
            Series.objects.select_related("patient", "signed_by")
            .prefetch_related("lots", "adverse_events")
            .annotate(previous_started_on=Subquery(previous),
                      # the stored outcome's series rows only (§10 dose intensity)
                      outcome_series=KeyTransform("series", "patient__outcome__result")),
            self.request.user,
        )
        # as a researcher, consented patients only (api.md, clinical-rules.md §8)
        return scope_research_consent(series, self.request.user, path="patient")

    def create_record(self, *, patient, data, children, by):
        return services.series_give(
            patient=patient, data=data, by=by,
            lot_numbers=children.get("lot_numbers", ()),
            adverse_events=children.get("adverse_events", ()),
        )

    def update_record(self, *, record, version, data, children, by):
        return services.series_update(
            series=record, version=version, data=data, by=by,
            lot_numbers=children.get("lot_numbers"),
            adverse_events=children.get("adverse_events"),
        )

    def sign_record(self, *, record, password, by, request):
        return services.series_sign(series=record, password=password, by=by, request=request)

    def unlock_record(self, *, record, reason, by):
        return services.series_unlock(series=record, reason=reason, by=by)


class TailoringEpisodeViewSet(RegistryViewSet):
    """Dose-tailoring episodes (clinical-rules.md §10); ``result`` and ``relapse_on`` are
    the stored outcome's."""

    serializer_class = TailoringEpisodeSerializer
    filterset_class = TailoringEpisodeFilter
    ordering_fields = ["started_on", "ended_on", "id", "kind"]

    def get_queryset(self):
        episodes = scope_by_patient(
            TailoringEpisode.objects.select_related("patient__outcome"), self.request.user)
        # as a researcher, consented patients only (api.md, clinical-rules.md §8)
        return scope_research_consent(episodes, self.request.user, path="patient")

    def create_record(self, *, patient, data, children, by):
        return services.tailoring_record(patient=patient, data=data, by=by)

    def update_record(self, *, record, version, data, children, by):
        return services.tailoring_update(episode=record, version=version, data=data, by=by)

    def delete_record(self, *, record, by):
        services.tailoring_delete(episode=record, by=by)


LOT_ORDERING = ("code", "patient", "series", "started_on")


#: What the outcome endpoint reads of the patient and its outcome: name → column path.
OUTCOME_COLUMNS = {
    "patient": "pk",
    "outcome": "outcome__pk",
    "result": "outcome__result",
    "computed_at": "outcome__computed_at",
    "data_version": "outcome__data_version",
    "computed_data_version": "outcome__computed_data_version",
}


class PatientOutcomeViewSet(RegistryViewMixin, viewsets.GenericViewSet):
    """``patients/{id}/outcome/`` (``api:patient-outcome``): the outcome is the treatments
    app's, its URL the patient's. Registered by ``treatments.api.urls`` on the ``patients``
    prefix; the patient is found as ``PatientViewSet`` finds it (scoped, and as a
    researcher consented only)."""

    queryset = Patient.objects.all()
    permission_classes = [permissions.IsAuthenticated, WriteRole]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    query_parameters = ("criteria",)

    def get_queryset(self):
        user = self.request.user
        queryset = scope_research_consent(scope_patients(Patient.objects.all(), user), user)
        # The columns the answer shows, not the patient and outcome instances: the
        # ``summary`` column decoded, two instances built and 25 columns compiled were a
        # quarter of an outcome request's work (issue 19, bench/README.md).
        return queryset.values(*OUTCOME_COLUMNS.values())

    def outcome_row(self) -> dict[str, Any]:
        """``get_object()`` with the scoped query compiled once per scope
        (``registry.db.compiled``: a fifth of the request's work, issue 19)."""
        rows = rows_by_pk(self.get_queryset, pk=self.kwargs["pk"],
                          key=("patient-outcome", patient_scope_key(self.request.user)))
        if not rows:
            raise Http404(f"No {Patient._meta.object_name} matches the given query.")
        self.check_object_permissions(self.request, rows[0])
        return rows[0]

    @extend_schema(responses=OutcomeSerializer, parameters=[CRITERIA_PARAMETER])
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def outcome(self, request, pk=None):
        """The latest computed outcome (api.md "Outcome"); ``stale`` while a recompute is due.
        ``?criteria=<code>`` recomputes the block summary under that criteria set for this
        answer only (``criteria`` then names it; nothing is stored)."""
        code = request.query_params.get("criteria")
        criteria = block_criteria_named(code) if code is not None else None
        row = self.outcome_row()  # the patient's OUTCOME_COLUMNS (scoped, consent)
        columns = {name: row[column] for name, column in OUTCOME_COLUMNS.items()}
        if columns["outcome"] is None:  # never computed
            payload = outcome_payload(patient_id=columns["patient"], outcome=None)
        else:
            stale = Outcome.is_stale(computed_data_version=columns["computed_data_version"],
                                     data_version=columns["data_version"])
            payload = stored_outcome_payload(patient_id=columns["patient"],
                                             result=columns["result"],
                                             computed_at=columns["computed_at"], stale=stale)
        if criteria is not None:
            payload["conduction_blocks"] = blocks_under(patient_id=columns["patient"],
                                                        criteria=criteria)
            payload["criteria"] = criteria.code
        return Response(payload)


class LotPatientsView(RegistryViewMixin, GenericAPIView):
    """Patients of your centres who received lot ``{lot}`` (clinical-rules.md §6), by patient
    code and series number unless ``?ordering=`` says otherwise."""

    queryset = LotNumber.objects.none()  # names the model for the schema; rows come below
    filter_backends: list = []
    query_parameters = ("patient", "ordering", "page", "page_size")

    @extend_schema(responses=LotRecipientSerializer(many=True), parameters=[
        OpenApiParameter("lot", str, OpenApiParameter.PATH,
                         description="Lot number, matched without regard to case."),
        OpenApiParameter("patient", int, description="Patient id."),
        OpenApiParameter("ordering", ordering_schema(LOT_ORDERING),
                         description=ordering_description(LOT_ORDERING)),
    ])
    def get(self, request, lot: str):
        lot = _valid(serializers.CharField(max_length=64), lot, name="lot")
        terms = ordering_terms(request.query_params.get("ordering", ""), LOT_ORDERING)
        patients = scope_patients(Patient.objects.all(), request.user)
        patient = request.query_params.get("patient", "")
        if patient:
            patients = patients.filter(pk=_valid(serializers.IntegerField(), patient,
                                                 name="patient"))
        rows = lot_recipients(lot=lot, patients=patients)
        if terms:
            rows = sort_rows(rows, terms)
        return self.get_paginated_response(self.paginate_queryset(rows))


def _valid(field: serializers.Field, raw: str, *, name: str):
    """A path or query value checked by a serializer field: a 400 naming ``name``."""
    try:
        return field.run_validation(raw)
    except exceptions.ValidationError as error:
        raise exceptions.ValidationError({name: error.detail}) from error


class CsvRenderer(renderers.BaseRenderer):
    """``?format=csv``: the report's CSV lines (``treatments.reports.report_csv_rows``)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict) and data.get("table") in ("table1", "table2", "measures"):
            rows = report_csv_rows(data)
        elif isinstance(data, dict) and data.get("table") == "consumption":
            rows = consumption_csv_rows(data)
        elif isinstance(data, dict):  # an error or an OPTIONS description
            rows = [[key, "; ".join(map(str, value)) if isinstance(value, list) else str(value)]
                    for key, value in data.items()]
        else:
            rows = [[str(item)] for item in data or []]
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return out.getvalue().encode("utf-8", "backslashreplace")


class ReportQuery(serializers.Serializer):
    """The reports' query: a centre (code or id) and a diagnosis, both optional."""

    center = serializers.RegexField(
        r"^[-A-Za-z0-9_]{1,32}$", required=False, allow_blank=True,
        error_messages={"invalid": "Give a centre code or id."},
        help_text="Centre code or id.",
    )
    diagnosis = serializers.ChoiceField(choices=cat.DIAGNOSES, required=False, allow_blank=True)
    criteria = serializers.CharField(
        required=False, max_length=40,
        help_text="A block criteria set's code (``block-criteria/``): Table 1's conduction "
                  "blocks judged under it for this answer (default: each outcome's); "
                  "unknown: 400.")

    def validate_criteria(self, code: str) -> BlockCriteria:
        try:
            return block_criteria_named(code)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict["criteria"]) from error


class ReportView(RegistryViewMixin, APIView):
    """Cohort report from live data (clinical-rules.md §8), JSON or ``?format=csv``."""

    renderer_classes = [JSONRenderer, renderers.BrowsableAPIRenderer, CsvRenderer]
    query_parameters = ("center", "diagnosis", "criteria")
    # Called with the user, the centre and the diagnosis; each table has its own.
    build: Callable[..., dict[str, Any]] = staticmethod(table1_report)

    def get(self, request):
        query = ReportQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = self.build(user=request.user, center=query.validated_data.get("center") or None,
                            diagnosis=query.validated_data.get("diagnosis") or None,
                            criteria=query.validated_data.get("criteria"))
        return Response(report)


class ConsumptionQuery(serializers.Serializer):
    """The consumption report's query (clinical-rules.md §10): a period (default: the year
    up to today), a centre and a diagnosis."""

    # ``from`` is a Python keyword: the fields are named in ``get_fields``.
    center = serializers.RegexField(
        r"^[-A-Za-z0-9_]{1,32}$", required=False, allow_blank=True,
        error_messages={"invalid": "Give a centre code or id."}, help_text="Centre code or id.")
    diagnosis = serializers.ChoiceField(choices=cat.DIAGNOSES, required=False, allow_blank=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False, help_text="First day (ISO).")
        fields["to"] = serializers.DateField(required=False, help_text="Last day (ISO).")
        return fields

    def validate(self, attrs):
        start, end = attrs.get("from"), attrs.get("to")
        if start and end and start > end:
            raise serializers.ValidationError({"to": "The period ends on or after it starts."})
        return attrs


class ConsumptionFigures(serializers.Serializer):
    """One group's figures of the consumption report (schema only)."""

    grams = serializers.FloatField()
    series = serializers.IntegerField()
    patients = serializers.IntegerField()
    patient_years = serializers.FloatField()
    grams_per_patient_year = serializers.FloatField(allow_null=True)
    median_dose_intensity = serializers.FloatField(allow_null=True)


class ConsumptionByDiagnosis(ConsumptionFigures):
    diagnosis = serializers.ChoiceField(choices=cat.DIAGNOSES)


class ConsumptionByProduct(ConsumptionFigures):
    product = serializers.CharField()


class ConsumptionByCenter(ConsumptionFigures):
    center = serializers.CharField()


class ConsumptionSerializer(serializers.Serializer):
    """The documented shape of ``reports/consumption/`` (schema only)."""

    table = serializers.ChoiceField(choices=["consumption"])
    center = serializers.CharField(allow_null=True)
    diagnosis = serializers.ChoiceField(choices=cat.DIAGNOSES, allow_null=True)
    total = ConsumptionFigures()
    by_diagnosis = ConsumptionByDiagnosis(many=True)
    by_product = ConsumptionByProduct(many=True)
    by_center = ConsumptionByCenter(many=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        fields["to"] = serializers.DateField()
        return fields


@extend_schema_view(get=extend_schema(responses=ConsumptionSerializer, parameters=[
    ConsumptionQuery,
    OpenApiParameter("format", str, enum=["json", "csv"], description="``csv``: CSV lines."),
]))
class ConsumptionView(RegistryViewMixin, APIView):
    """Immunoglobulin consumption over a period (clinical-rules.md §10), JSON or CSV:
    every patient of the user's centres counted (an aggregate)."""

    renderer_classes = [JSONRenderer, renderers.BrowsableAPIRenderer, CsvRenderer]
    query_parameters = ("from", "to", "center", "diagnosis")

    def get(self, request):
        query = ConsumptionQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        default_start, default_end = default_period(timezone.localdate())
        return Response(consumption_report(
            user=request.user, start=data.get("from") or default_start,
            end=data.get("to") or default_end, center=data.get("center") or None,
            diagnosis=data.get("diagnosis") or None))


def _report_schema(serializer):
    return extend_schema(responses=serializer, parameters=[
        ReportQuery,
        OpenApiParameter("format", str, enum=["json", "csv"],
                         description="``csv``: the table's lines as CSV (text/csv)."),
    ])


@extend_schema_view(get=_report_schema(Table1Serializer))
class Table1View(ReportView):
    build = staticmethod(table1_report)


@extend_schema_view(get=_report_schema(Table2Serializer))
class Table2View(ReportView):
    build = staticmethod(table2_report)


@extend_schema_view(get=_report_schema(MeasuresReportSerializer))
class MeasuresReportView(ReportView):
    """``reports/measures/`` (clinical-rules.md §9): responders per measure and diagnosis."""

    build = staticmethod(measures_report)


class WorklistRow(serializers.Serializer):
    patient = serializers.IntegerField()
    code = serializers.CharField()


class WorklistDueRow(WorklistRow):
    next_series_due = serializers.DateField()


class WorklistOverdueRow(WorklistDueRow):
    days_overdue = serializers.IntegerField(allow_null=True)


class WorklistStaleRow(WorklistRow):
    computed_at = serializers.DateTimeField(allow_null=True)


class WorklistSerializer(serializers.Serializer):
    due = WorklistDueRow(many=True, help_text="Next series due within 7 days.")
    overdue = WorklistOverdueRow(many=True)
    stale = WorklistStaleRow(many=True, help_text="Outcomes still recomputing.")
    queries = WorklistRow(many=True, help_text="Open data-quality queries (§11).")


class WorklistView(RegistryViewMixin, APIView):
    """``worklist/``: for your centres, series due within 7 days, overdue patients,
    outcomes pending recompute and open queries (api.md; clinical-rules.md §10)."""

    @extend_schema(responses=WorklistSerializer)
    def get(self, request):
        return Response(worklist(patients=care_patients(request.user),
                                 today=timezone.localdate()))
