"""API of the exports: the data dictionary as JSON, and each export as a file."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

import catalogues as cat
from exchange import services
from exchange.datasets import CODE_LISTS, DATASETS
from exchange.fhir import FHIR_JSON, Systems, code_system, patient_bundle
from exchange.models import Source
from exchange.selectors import fhir_patient
from exchange.services import CONTENT_TYPES, export_request, file_response
from registry.api.viewsets import RegistryViewMixin
from registry.models import AccessSurface
from registry.scoping import identifiable_center_ids
from registry.services import access_log_record

TRUE = {"1", "true", "yes", "on"}


class FileFormat(renderers.BaseRenderer):
    """Lets ``?format=`` choose a file format; the view writes the file itself."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        raise AssertionError("Export files are written by the view, errors as JSON.")


class CsvFormat(FileFormat):
    media_type, format = "text/csv", "csv"


class XlsxFormat(FileFormat):
    media_type, format = CONTENT_TYPES["xlsx"], "xlsx"


class ZipFormat(FileFormat):
    media_type, format = CONTENT_TYPES["zip"], "zip"


class OdmFormat(FileFormat):
    media_type, format = "application/xml", "odm"


class ExportDictionaryView(RegistryViewMixin, APIView):
    """The exchange formats: every dataset, its columns and the code lists (no patient data)."""

    @extend_schema(operation_id="exports_dictionary", responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        # Someone who may never see a direct identifier is not told of those columns either.
        with_identifiers = identifiable_center_ids(request.user) != []
        return Response({
            "datasets": [
                {
                    "name": d.name, "row": d.row, "description": d.description,
                    "key": list(d.key), "parent": d.parent, "importable": d.importable,
                    "url": request.build_absolute_uri(f"{d.name}/"),
                    "columns": [
                        {"name": c.name, "type": c.type, "unit": c.unit, "codes": c.codes,
                         "required": c.required, "computed": c.computed,
                         "identifier": c.identifier, "description": c.description}
                        for c in d.columns if with_identifiers or not c.identifier
                    ],
                }
                for d in DATASETS
            ],
            "code_lists": {name: [{"code": code, "label": text} for code, text in choices]
                           for name, choices in CODE_LISTS.items()},
        })


EXPORT_PARAMETERS = [
    OpenApiParameter("format", str, enum=["csv", "xlsx", "zip", "odm"],
                     description="csv (one dataset, the default), xlsx, or zip or odm (all: "
                                 "CDISC ODM 1.3.2 XML)"),
    OpenApiParameter("center", str, description="Only this centre (code)"),
    OpenApiParameter("diagnosis", str, enum=cat.codes(cat.DIAGNOSES)),
    OpenApiParameter("identifiers", bool, description="Add name, date of birth and hospital "
                     "number: data managers of the patient's centre only (403 otherwise)"),
]


class ExportView(RegistryViewMixin, APIView):
    """One dataset (``{dataset}``) or every one (``all``), streamed; every export is recorded.

    Data managers export their centres' patients; researchers too, pseudonymised; others
    get 403. Only patients whose consent is given (recorded, not withdrawn) are exported.
    """

    renderer_classes = [renderers.JSONRenderer, CsvFormat, XlsxFormat, ZipFormat, OdmFormat]
    query_parameters = ("format", "center", "diagnosis", "identifiers")

    @extend_schema(operation_id="exports_file", parameters=EXPORT_PARAMETERS, responses={
        (200, "text/csv"): OpenApiTypes.BINARY,
        (200, CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY,
        (200, CONTENT_TYPES["zip"]): OpenApiTypes.BINARY,
        (200, "application/xml"): OpenApiTypes.BINARY,
        400: OpenApiResponse(description="Bad filter: {field: [messages]}"),
        403: OpenApiResponse(description="Your role does not export (or not identifiers)"),
        404: OpenApiResponse(description="No such dataset or format"),
    })
    def get(self, request, dataset: str):
        default = "zip" if dataset == "all" else "csv"
        format = request.query_params.get("format") or default
        try:
            datasets, format = export_request(dataset, format)
        except Http404:
            return Response({"detail": f"No {format} export of {dataset!r}: a dataset is csv "
                                       "or xlsx, all is zip, xlsx or odm."}, status=404)
        job = services.export_start(
            user=request.user, source=Source.API, datasets=datasets, format=format,
            center=request.query_params.get("center") or None,
            diagnosis=request.query_params.get("diagnosis") or None,
            identifiers=(request.query_params.get("identifiers") or "").lower() in TRUE,
        )
        return file_response(job, format)

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response):  # an error: always JSON, whatever was asked
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = renderers.JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class FhirJson(renderers.JSONRenderer):
    """FHIR's JSON media type: every answer of the FHIR views, errors too."""

    media_type, format = FHIR_JSON, "json"


class FhirView(RegistryViewMixin, APIView):
    """FHIR R4 answers (docs/fhir.md): same sign-in, centres and pseudonymisation as the
    rest of the API; errors stay the API's JSON ``{"detail"}``."""

    renderer_classes = [FhirJson]

    def systems(self) -> Systems:
        return Systems(base=settings.FHIR_SYSTEM_BASE)


class FhirPatientEverythingView(FhirView):
    """``Patient/{id}/$everything``: the patient's record as a ``Bundle`` (``collection``)."""

    @extend_schema(operation_id="fhir_patient_everything", parameters=[
        OpenApiParameter("id", int, OpenApiParameter.PATH, description="The patient's id"),
    ], responses={
        (200, FHIR_JSON): OpenApiTypes.OBJECT,  # the errors: registry.api.schema
    })
    def get(self, request, id: str):
        found = fhir_patient(user=request.user, patient_id=int(id))
        if found is None:
            raise NotFound()
        patient, with_identity = found
        bundle = patient_bundle(patient, with_identity=with_identity, systems=self.systems())
        if with_identity:  # the Patient carries the identity: who saw it (the access log)
            access_log_record(user=request.user, surface=AccessSurface.FHIR, patients=[patient],
                              path=request.path)
        return Response(bundle)


class FhirCodeSystemView(FhirView):
    """``CodeSystem/ivig-registry``: every local code the Bundles use."""

    @extend_schema(operation_id="fhir_code_system",
                   responses={(200, FHIR_JSON): OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(code_system(self.systems()))
