"""``queries/``: data-quality queries (clinical-rules.md §11; api.md "Additions of
2026-12-01"). Reads scoped like every record (researchers: consented patients, read
only); POST (a manual query) and closing by data managers; answering by clinicians (and
data managers). Writes go through ``queries.services``."""

from __future__ import annotations

from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.response import Response

from queries import services
from queries.api.filters import QueryFilter
from queries.api.serializers import QuerySerializer
from queries.models import CLOSED, RESOLVED
from queries.selectors import queries_for
from registry.api.serializers import split
from registry.api.viewsets import RegistryViewMixin
from registry.scoping import (
    can_answer_query,
    can_manage_queries,
    query_center_ids,
)


class QueryRole(permissions.BasePermission):
    """Reads are scoped like every record (a researcher reads the consented patients'
    queries of their centres, never writes one); writes need the clinician or
    data-manager role somewhere, then the patient's centre (checked by the view, once the
    patient or query is found)."""

    message = "Queries are written by the clinicians and data managers of the patient's centre."

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if view.kwargs.get("pk") is not None:
            return True  # a query: 404 if not in the user's centres, then the role check
        ids = query_center_ids(request.user)
        return ids is None or bool(ids)


MANAGERS_ONLY = "Only a data manager of the patient's centre closes a query or raises one."
ANSWERERS_ONLY = "Only a clinician or data manager of the patient's centre answers a query."


class QueryViewSet(RegistryViewMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                   viewsets.ReadOnlyModelViewSet):
    serializer_class = QuerySerializer
    filterset_class = QueryFilter
    permission_classes = [permissions.IsAuthenticated, QueryRole]
    ordering_fields = ["raised_at", "status", "rule", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return queries_for(self.request.user).order_by("-raised_at", "-id")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data, _, _ = split(serializer.validated_data, ())
        patient = data["patient"]
        if not can_manage_queries(request.user, patient.center_id):
            raise exceptions.PermissionDenied(MANAGERS_ONLY)
        unexpected = sorted(set(data) - {"patient", "record", "message"})
        if unexpected:
            raise exceptions.ValidationError(
                {name: ["Set by the registry, not on creation."] for name in unexpected})
        if not data.get("message", "").strip():
            raise exceptions.ValidationError({"message": ["Write the question."]})
        record = data.get("record") or {}
        query = services.query_raise(
            patient=patient, message=data["message"], by=request.user,
            record_model=record.get("record_model"), record_id=record.get("record_id"))
        return Response(self.get_serializer(self.get_queryset().get(pk=query.pk)).data,
                        status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        query = self.get_object()
        serializer = self.get_serializer(query, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data, _, version = split(serializer.validated_data, ())
        fixed = sorted(set(data) - {"answer", "status", "close_reason"})
        if fixed:
            raise exceptions.ValidationError(
                {name: ["A query keeps its patient, record and message."] for name in fixed})
        center_id = query.patient.center_id
        if "answer" in data and "status" in data:
            raise exceptions.ValidationError(
                {"non_field_errors": ["Send either an answer or status: closed, not both."]})
        if "answer" in data:
            if not can_answer_query(request.user, center_id):
                raise exceptions.PermissionDenied(ANSWERERS_ONLY)
            query = services.query_answer(query=query, version=version, answer=data["answer"],
                                          by=request.user)
        elif "status" in data:
            if data["status"] != CLOSED:
                raise exceptions.ValidationError({"status": [
                    "A data manager closes a query (status: closed); a clinician answers it"
                    " (answer)."]})
            if not can_manage_queries(request.user, center_id):
                raise exceptions.PermissionDenied(MANAGERS_ONLY)
            query = services.query_close(query=query, version=version, by=request.user,
                                         reason=data.get("close_reason") or RESOLVED)
        else:
            raise exceptions.ValidationError({"non_field_errors": [
                "Send an answer, or status: closed (with close_reason)."]})
        return Response(self.get_serializer(self.get_queryset().get(pk=query.pk)).data)
