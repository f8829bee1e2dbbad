"""Bases of the API's views: what DRF's settings (``REST_FRAMEWORK``) cannot say.

Authentication, JSON-only bodies, filters and strict ordering, the permission default,
pagination and the services' errors (``registry.api.exceptions``) are DRF's defaults in
``registry.settings.base``. What a view adds here: the user's memberships read before the
permission checks, unknown query parameters refused, and every write answered inside its
transaction with ``Idempotency-Key`` honoured on POST (``registry.api.writes``).
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.response import Response
from rest_framework.settings import api_settings

from registry.api.permissions import WriteRole
from registry.api.serializers import split
from registry.api.writes import WRITE_METHODS, atomic_write
from registry.scoping import can_write, load_memberships

PAGING_PARAMETERS = {"page", "page_size"}


class RegistryViewMixin:
    """Mixed into every API view of the registry (before DRF's view class)."""

    #: Query parameters the view takes besides a list's filters, ordering and pages.
    query_parameters: tuple[str, ...] = ()

    def perform_authentication(self, request):
        super().perform_authentication(request)
        if request.user.is_authenticated:
            # Before the permission checks, which ask for roles and centres: every question
            # of registry.scoping reads these rows (one query, not one per row; none when
            # the token authentication has read them with the token).
            load_memberships(request.user)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        method = request.method.lower()
        if method in self.http_method_names and hasattr(self, method):  # else a 405 follows
            self.refuse_unknown_query_parameters(request)
            if request.method in WRITE_METHODS:  # the write and its answer: one transaction
                setattr(self, method, atomic_write(getattr(self, method)))

    def refuse_unknown_query_parameters(self, request) -> None:
        """A query parameter the operation does not take is a 400 naming it: a misspelt
        filter (``?patinet=3``) would otherwise return every row as if it had matched."""
        known = self.known_query_parameters()
        unknown = [name for name in request.query_params if name not in known]
        if unknown:
            takes = ", ".join(sorted(known - {api_settings.URL_FORMAT_OVERRIDE})) or "none"
            raise exceptions.ValidationError({
                name: [f"Unknown query parameter; this operation takes: {takes}."]
                for name in unknown
            })

    def known_query_parameters(self) -> set[str]:
        known = {api_settings.URL_FORMAT_OVERRIDE, *self.query_parameters}
        if getattr(self, "action", None) == "list":
            known |= PAGING_PARAMETERS
            if getattr(self, "ordering_fields", None):
                known.add("ordering")
            filterset = getattr(self, "filterset_class", None)
            known |= set(filterset.base_filters if filterset is not None
                         else getattr(self, "filterset_fields", None) or ())
        return known


class RegistryViewSet(RegistryViewMixin, viewsets.ModelViewSet):
    """A scoped, service-backed resource. Subclasses name their services and nested lists.

    Nested lists are replaced whole when sent (PUT or PATCH) and left as they are when
    omitted; the record's own fields follow DRF (PUT needs every required field).

    Creating a record for a patient outside your centres is answered 400 naming
    ``patient`` ("does not exist"): the patient field only knows the user's patients,
    so another centre's patients are indistinguishable from unknown ids.
    """

    permission_classes = [permissions.IsAuthenticated, WriteRole]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    nested: tuple[str, ...] = ()

    def center_id_of(self, obj) -> int:
        return obj.patient.center_id

    def filter_queryset(self, queryset):
        # api.md: lists filter and order; a record is found by its id alone. Building and
        # validating the filter set costs a tenth of an unfiltered page (bench/README.md),
        # so it is built only when the request filters or orders something (unknown
        # parameters were refused before: ``refuse_unknown_query_parameters``).
        if self.action != "list" or (
            set(self.request.query_params) <= PAGING_PARAMETERS
            and not getattr(self, "ordering", None)  # a view's default order still applies
        ):
            return queryset
        return super().filter_queryset(queryset)

    def list_filtered(self) -> bool:
        """Whether the request's query parameters may narrow the list's rows: any beside
        its pages, its ordering and the format."""
        unfiltered = PAGING_PARAMETERS | {"ordering", api_settings.URL_FORMAT_OVERRIDE}
        return not set(self.request.query_params) <= unfiltered

    def check_patient_write(self, patient: Any) -> None:
        if not can_write(self.request.user, patient.center_id):
            raise exceptions.PermissionDenied(WriteRole.message)

    def perform_create(self, serializer):
        data, children, _ = split(serializer.validated_data, self.nested)
        patient = data.pop("patient")
        self.check_patient_write(patient)
        serializer.instance = self.create_record(
            patient=patient, data=data, children=children, by=self.request.user
        )

    def perform_update(self, serializer):
        data, children, version = split(serializer.validated_data, self.nested)
        if "patient" in data:
            if data["patient"].pk != serializer.instance.patient_id:
                raise exceptions.ValidationError(
                    {"patient": ["A record cannot move to another patient."]}
                )
            data.pop("patient")
        serializer.instance = self.update_record(
            record=serializer.instance, version=version, data=data, children=children,
            by=self.request.user,
        )

    def perform_destroy(self, instance):
        self.delete_record(record=instance, by=self.request.user)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self.perform_update(serializer)
        return Response(self.get_serializer(self.stored(serializer.instance)).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        data = self.get_serializer(self.stored(serializer.instance)).data
        return Response(data, status=status.HTTP_201_CREATED)

    def stored(self, instance):
        """Re-read a written record so nested lists and computed fields show what was stored
        (inside the write's transaction: ``registry.api.writes.atomic_write``)."""
        return self.get_queryset().get(pk=instance.pk)

    def create_record(self, *, patient, data, children, by):  # pragma: no cover - abstract
        raise NotImplementedError

    def update_record(self, *, record, version, data, children, by):  # pragma: no cover
        raise NotImplementedError

    def delete_record(self, *, record, by):  # pragma: no cover
        raise exceptions.MethodNotAllowed(self.request.method)
