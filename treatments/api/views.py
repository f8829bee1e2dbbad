"""API views of the treatments domain: series, lot look-ups and cohort reports."""

from __future__ import annotations

import csv
import io

from django.db.models import OuterRef, Subquery
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from patients import catalogues as cat
from patients.api.views import documented
from patients.models import Patient
from registry.api.base import RegistryViewSet, ServiceErrorsMixin
from registry.api.pagination import RegistryPagination
from registry.scoping import scope_by_patient, scope_patients
from treatments import services
from treatments.api.filters import SeriesFilter
from treatments.api.outcome import LotRecipientSerializer
from treatments.api.serializers import SeriesSerializer
from treatments.models import Series
from treatments.reports import report_csv_rows, table1_report, table2_report
from treatments.selectors import lot_recipients


@documented(SeriesSerializer)
class SeriesViewSet(RegistryViewSet):
    """IVIg series are traceability records: never deleted (mark one as stopped)."""

    serializer_class = SeriesSerializer
    filterset_class = SeriesFilter
    ordering_fields = ["started_on", "number", "id"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    nested = ("lot_numbers", "adverse_events")

    def get_queryset(self):
        previous = Series.objects.filter(
            patient=OuterRef("patient"), number__lt=OuterRef("number")
        ).order_by("-number").values("started_on")[:1]
        return scope_by_patient(
            Series.objects.select_related("patient")
            .prefetch_related("lots", "adverse_events")
            .annotate(previous_started_on=Subquery(previous)),
            self.request.user,
        )

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


class LotPatientsView(ServiceErrorsMixin, APIView):
    """Patients of your centres who received lot ``{lot}`` (clinical-rules.md §6)."""

    pagination_class = RegistryPagination

    @extend_schema(responses={200: LotRecipientSerializer(many=True)})
    def get(self, request, lot: str):
        rows = lot_recipients(lot=lot, patients=scope_patients(Patient.objects.all(),
                                                               request.user))
        paginator: PageNumberPagination = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(page)


class CsvRenderer(renderers.BaseRenderer):
    """``?format=csv``: the report's CSV lines (``treatments.reports.report_csv_rows``)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code >= 400:
            rows = [[key, str(value)] for key, value in (data or {}).items()]
        else:
            rows = report_csv_rows(data)
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return out.getvalue().encode("utf-8")


REPORT_PARAMETERS = [
    OpenApiParameter("center", str, description="Centre code or id"),
    OpenApiParameter("diagnosis", str, enum=[code for code, _ in cat.DIAGNOSES]),
    OpenApiParameter("format", str, enum=["json", "csv"]),
]


class ReportView(ServiceErrorsMixin, APIView):
    """Cohort report from live data (clinical-rules.md §8), JSON or ``?format=csv``."""

    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer, CsvRenderer]
    build = staticmethod(table1_report)

    @extend_schema(parameters=REPORT_PARAMETERS, responses={
        200: OpenApiTypes.OBJECT, 400: OpenApiResponse(description="Unknown diagnosis"),
    })
    def get(self, request):
        diagnosis = request.query_params.get("diagnosis") or None
        if diagnosis is not None and diagnosis not in cat.codes(cat.DIAGNOSES):
            return Response({"diagnosis": [f"Unknown diagnosis {diagnosis!r}."]}, status=400)
        center = request.query_params.get("center") or None
        report = self.build(user=request.user, center=center, diagnosis=diagnosis)
        return Response(report)


class Table1View(ReportView):
    build = staticmethod(table1_report)


class Table2View(ReportView):
    build = staticmethod(table2_report)
