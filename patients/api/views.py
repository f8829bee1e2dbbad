"""API views of the patients domain: patients and what was measured on them."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from patients import services
from patients.api import filters
from patients.api.serializers import (
    NerveStudySerializer,
    ParaproteinSerializer,
    PatientListItemSerializer,
    PatientSerializer,
    PriorTreatmentSerializer,
    TitreSerializer,
    VisitSerializer,
)
from patients.models import (
    MrcGrade,
    NerveSegment,
    NerveStudy,
    Paraprotein,
    Patient,
    PriorTreatment,
    Titre,
    Visit,
)
from patients.selectors import attach_nested_rows, patient_counts, patient_history
from registry.api.ordering import ordering_description, ordering_schema, ordering_terms, sort_rows
from registry.api.pagination import CountingPagination
from registry.api.serializers import split
from registry.api.signatures import SignOffActions, sign_off_schema
from registry.api.viewsets import RegistryViewSet
from registry.models import AccessSurface
from registry.scoping import (
    can_see_identifiers,
    can_write,
    is_researcher_only,
    research_center_ids,
    scope_by_patient,
    scope_patients,
    scope_research_consent,
    user_center_ids,
)
from registry.services import access_log_record
from treatments.api.outcome import CRITERIA_PARAMETER, HistoryEntrySerializer
from treatments.rules import BlockCriteria
from treatments.selectors import (
    block_criteria_named,
    segment_block_reader,
    titre_significance_reader,
)

HISTORY_ORDERING = ("at", "model", "action", "object_id")

def _research(queryset, request):
    """A patient record's rows as the user may read them: as a researcher, consented
    patients only (api.md, clinical-rules.md §8)."""
    return scope_research_consent(queryset, request.user, path="patient")


class PatientViewSet(RegistryViewSet):
    """Patients of your centres; never deleted through the API. ``identity`` appears only
    in single-patient answers to clinicians and data managers of the patient's centre."""

    serializer_class = PatientSerializer
    filterset_class = filters.PatientFilter
    # The page and the count in one query (issue 19: the list's queries were 5 against
    # the bare framework's 2).
    pagination_class = CountingPagination
    ordering_fields = ["code", "id", "birth_year", "diagnosis", "created_at", "updated_at"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    nested = ("affected_nerves", "target_muscles", "identity", "consent")

    def center_id_of(self, obj) -> int:
        return obj.center_id

    def get_serializer_class(self):
        if self.action == "list":
            return PatientListItemSerializer
        return super().get_serializer_class()

    def known_query_parameters(self) -> set[str]:
        known = super().known_query_parameters()
        if self.action == "history":
            known |= {"ordering", "page", "page_size"}
        if self.action == "outcome":
            known.add("criteria")
        return known

    def get_queryset(self):
        user = self.request.user
        queryset = scope_research_consent(scope_patients(Patient.objects.all(), user), user)
        if self.action == "history":
            return queryset
        if self.action == "list":  # its consent comes with the nested rows (paginate_queryset)
            return queryset
        return queryset.select_related("consent", "identity")

    def retrieve(self, request, *args, **kwargs):
        patient = self.get_object()
        data = self.get_serializer(patient).data
        if data.get("identity"):  # shown: the registry says who saw it (access log)
            access_log_record(user=request.user, surface=AccessSurface.API, patients=[patient],
                              path=request.path)
        return Response(data)

    def list_total(self):
        """The list's count from the per-centre counts PostgreSQL keeps
        (``patient_counts``) when the list is every patient of the user's centres: no
        filter (ordering and paging do not change the count) and no researcher centre,
        whose list is the consented patients only. ``None``: the paginator counts the rows
        (issue 19: counting them took a millisecond per 10,000 patients on every page)."""
        user = self.request.user
        if self.action != "list" or self.list_filtered() or research_center_ids(user):
            return None
        return patient_counts(user_center_ids(user))

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None and self.action == "list":
            attach_nested_rows(page, consent=True)
        return page

    def get_object(self):
        patient = super().get_object()
        if self.action == "retrieve":  # writes answer with ``stored()``
            attach_nested_rows([patient])
        return patient

    def stored(self, instance):
        patient = super().stored(instance)
        attach_nested_rows([patient])
        return patient

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user
        if not getattr(self, "swagger_fake_view", False):  # the schema documents identity
            context["with_identity"] = self.action != "list" and not (
                user.is_authenticated and is_researcher_only(user)
            )
        return context

    def perform_create(self, serializer):
        data, children, _ = split(serializer.validated_data, self.nested)
        center = data.pop("center")
        if not can_write(self.request.user, center.pk):
            raise PermissionDenied("Writing needs the clinician or data manager role here.")
        serializer.instance = services.patient_create(
            center=center, data=data, by=self.request.user,
            affected_nerves=children.get("affected_nerves", ()),
            target_muscles=children.get("target_muscles", ()),
            identity=children.get("identity"), consent=children.get("consent"),
        )

    def perform_update(self, serializer):
        data, children, version = split(serializer.validated_data, self.nested)
        center = data.get("center")
        if center is not None and not can_write(self.request.user, center.pk):
            raise PermissionDenied("Writing needs the clinician or data manager role there.")
        serializer.instance = services.patient_update(
            patient=serializer.instance, version=version, data=data, by=self.request.user,
            affected_nerves=children.get("affected_nerves"),
            target_muscles=children.get("target_muscles"),
            identity=children.get("identity"), consent=children.get("consent"),
        )

    @extend_schema(responses=HistoryEntrySerializer(many=True), parameters=[OpenApiParameter(
        "ordering", ordering_schema(HISTORY_ORDERING),
        description=ordering_description(HISTORY_ORDERING),
    )])
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request, pk=None):
        """Audit entries of the patient and its records, newest first (paginated)."""
        patient = self.get_object()
        terms = ordering_terms(request.query_params.get("ordering", ""), HISTORY_ORDERING)
        entries = patient_history(
            patient.pk, with_identity=can_see_identifiers(request.user, patient.center_id)
        )
        if terms:
            entries = sort_rows(entries, terms)
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(page)


class TitreViewSet(RegistryViewSet):
    """Antibody titres (clinical-rules.md §5); deleting one is allowed."""

    serializer_class = TitreSerializer
    filterset_class = filters.TitreFilter
    ordering_fields = ["sampled_on", "id", "antigen", "value"]

    def get_queryset(self):
        return _research(scope_by_patient(Titre.objects.select_related("patient"),
                                          self.request.user), self.request)

    def get_serializer_context(self):
        context = super().get_serializer_context()

        # The thresholds are read once per request, only if a titre is shown.
        context["titre_significance"] = titre_significance_reader()
        return context

    def create_record(self, *, patient, data, children, by):
        return services.titre_record(patient=patient, data=data, by=by)

    def update_record(self, *, record, version, data, children, by):
        return services.record_update(record=record, version=version, data=data, by=by)

    def delete_record(self, *, record, by):
        services.record_delete(record=record, by=by)


class ParaproteinViewSet(RegistryViewSet):
    """Monoclonal protein measurements."""

    serializer_class = ParaproteinSerializer
    filterset_class = filters.ParaproteinFilter
    ordering_fields = ["measured_on", "id", "serum_level_g_l"]

    def get_queryset(self):
        return _research(scope_by_patient(Paraprotein.objects.select_related("patient"),
                                          self.request.user), self.request)

    def create_record(self, *, patient, data, children, by):
        return services.paraprotein_record(patient=patient, data=data, by=by)

    def update_record(self, *, record, version, data, children, by):
        return services.record_update(record=record, version=version, data=data, by=by)

    def delete_record(self, *, record, by):
        services.record_delete(record=record, by=by)


class PriorTreatmentViewSet(RegistryViewSet):
    """Treatments received before IVIg."""

    serializer_class = PriorTreatmentSerializer
    filterset_class = filters.PriorTreatmentFilter
    ordering_fields = ["started_on", "ended_on", "id", "kind"]

    def get_queryset(self):
        return _research(scope_by_patient(
            PriorTreatment.objects.select_related("patient"), self.request.user
        ), self.request)

    def create_record(self, *, patient, data, children, by):
        return services.prior_treatment_record(patient=patient, data=data, by=by)

    def update_record(self, *, record, version, data, children, by):
        return services.record_update(record=record, version=version, data=data, by=by)

    def delete_record(self, *, record, by):
        services.record_delete(record=record, by=by)


@extend_schema_view(**sign_off_schema(VisitSerializer))
class VisitViewSet(SignOffActions, RegistryViewSet):
    """Visits with their MRC grid (clinical-rules.md §1–2); a signed visit (§11) is
    read-only, its MRC grid included: PUT, PATCH and DELETE answer 423."""

    serializer_class = VisitSerializer
    filterset_class = filters.VisitFilter
    ordering_fields = ["visited_on", "id", "kind"]
    nested = ("mrc",)

    def get_queryset(self):
        return _research(scope_by_patient(
            Visit.objects.select_related("patient__outcome", "signed_by").prefetch_related(
                Prefetch("mrc", queryset=MrcGrade.objects.order_by("id"))
            ),
            self.request.user,
        ), self.request)

    def create_record(self, *, patient, data, children, by):
        return services.visit_record(patient=patient, data=data, by=by,
                                     mrc=children.get("mrc", ()))

    def update_record(self, *, record, version, data, children, by):
        return services.visit_update(visit=record, version=version, data=data, by=by,
                                     mrc=children.get("mrc"))

    def delete_record(self, *, record, by):
        services.visit_delete(visit=record, by=by)

    def sign_record(self, *, record, password, by, request):
        return services.visit_sign(visit=record, password=password, by=by, request=request)

    def unlock_record(self, *, record, reason, by):
        return services.visit_unlock(visit=record, reason=reason, by=by)


@extend_schema_view(list=extend_schema(parameters=[CRITERIA_PARAMETER]),
                    retrieve=extend_schema(parameters=[CRITERIA_PARAMETER]))
class NerveStudyViewSet(RegistryViewSet):
    """Nerve-conduction studies with their segments (clinical-rules.md §4)."""

    serializer_class = NerveStudySerializer
    filterset_class = filters.NerveStudyFilter
    ordering_fields = ["studied_on", "id"]
    nested = ("segments",)
    query_parameters = ("criteria",)
    criteria: BlockCriteria | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        code = request.query_params.get("criteria")
        if code is not None:  # before anything is read: an unknown set is a 400
            self.criteria = block_criteria_named(code)

    def get_queryset(self):
        return _research(scope_by_patient(
            NerveStudy.objects.select_related("patient").prefetch_related(
                Prefetch("segments", queryset=NerveSegment.objects.order_by("id"))
            ),
            self.request.user,
        ), self.request)

    def get_serializer_context(self):
        context = super().get_serializer_context()

        # The criteria (``?criteria=`` or each diagnosis' rule set's) and the reference
        # limits, read once per request, only if a segment is shown.
        context["segment_block"] = segment_block_reader(criteria=self.criteria)
        return context

    def create_record(self, *, patient, data, children, by):
        return services.nerve_study_record(patient=patient, data=data, by=by,
                                           segments=children.get("segments", ()))

    def update_record(self, *, record, version, data, children, by):
        return services.nerve_study_update(study=record, version=version, data=data, by=by,
                                           segments=children.get("segments"))

    def delete_record(self, *, record, by):
        services.nerve_study_delete(study=record, by=by)
