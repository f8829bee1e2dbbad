"""What every API view shares: service errors as HTTP answers, centre scoping, write rights,
JSON-only bodies, plausible dates and strict ordering.

Scoping and roles come from ``registry.scoping``; writes go through the domain services,
whose ``ValidationError`` becomes a 400 with field keys and whose ``VersionConflict``
becomes a 409.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, filters, permissions, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.response import Response
from rest_framework.settings import api_settings

from patients.models import Patient
from registry.api.media import JSONParser
from registry.models import Membership
from registry.scoping import can_write, load_memberships, scope_patients, user_center_ids
from registry.services import VersionConflict


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This record was changed by someone else; reload it."
    default_code = "version_conflict"


def django_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    """A model ValidationError as DRF's ``{"field": ["message", …]}``."""
    if hasattr(error, "error_dict"):
        return {
            api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field: messages
            for field, messages in error.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: list(error.messages)}


def ordering_terms(raw: str, allowed: Sequence[str], *, param: str = "ordering") -> list[str]:
    """``?ordering=`` parsed against the fields a list offers: an unknown one is a 400 naming
    ``ordering`` (ignoring it, as DRF does, would hand a script rows in an order it did not
    ask for). An empty value means the default order (an empty list)."""
    if not raw:
        return []
    terms = [term.strip() for term in raw.split(",")]
    unknown = [term for term in terms if term.removeprefix("-") not in allowed]
    if unknown:
        raise exceptions.ValidationError({param: [
            f"Cannot order by {', '.join(map(repr, unknown))}; choose from "
            f"{', '.join(allowed)} (prefix '-' for descending, comma-separated)."
        ]})
    return terms


def ordering_schema(allowed: Sequence[str]) -> dict[str, Any]:
    term = f"-?({'|'.join(allowed)})"
    return {"type": "string", "pattern": f"^{term}(,{term})*$"}


def ordering_description(allowed: Sequence[str]) -> str:
    return (f"Sort by {', '.join(allowed)}; prefix '-' for descending, several fields "
            "comma-separated. Any other field is a 400.")


def sort_rows(rows: list[dict[str, Any]], terms: Sequence[str]) -> list[dict[str, Any]]:
    """Order plain rows (lists built in memory) by ``ordering_terms``: stable, nulls before
    values (after them when descending)."""
    for term in reversed(terms):
        key = term.removeprefix("-")
        rows = sorted(
            rows,
            key=lambda row: (row[key] is not None, "" if row[key] is None else row[key]),
            reverse=term.startswith("-"),
        )
    return rows


class StrictOrderingFilter(filters.OrderingFilter):
    """DRF's ``?ordering=`` with ``ordering_terms``: the view's ``ordering_fields`` or a 400."""

    def get_ordering(self, request, queryset, view):
        allowed = [name for name, _ in self.get_valid_fields(queryset, view, {"request": request})]
        terms = ordering_terms(request.query_params.get(self.ordering_param, ""), allowed,
                               param=self.ordering_param)
        return terms or self.get_default_ordering(view)

    def get_schema_operation_parameters(self, view):
        allowed = list(getattr(view, "ordering_fields", None) or [])
        if not allowed:
            return []
        return [{
            "name": self.ordering_param,
            "required": False,
            "in": "query",
            "description": ordering_description(allowed),
            "schema": ordering_schema(allowed),
        }]


class MembershipTokenAuthentication(TokenAuthentication):
    """DRF's token authentication that reads the user's memberships in the same query.

    Every API request needs the user's roles and centres (scoping, write rights); read
    apart, they were one query in four of a patient's outcome (bench/README.md). A user
    with no membership (a superuser) is found by DRF's own query.
    """

    def authenticate_credentials(self, key):
        memberships = list(
            Membership.objects.filter(user__auth_token__key=key)
            .select_related("user__auth_token").order_by("center_id")
        )
        if not memberships:
            return super().authenticate_credentials(key)
        user = memberships[0].user
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        for membership in memberships:
            membership.user = user
        # What ``prefetch_related("memberships")`` would have left on the user.
        cached = user.memberships.all()
        cached._result_cache = memberships
        cached._prefetch_done = True
        user._prefetched_objects_cache = {"memberships": cached}
        return user, user.auth_token


class ServiceErrorsMixin:
    """Translate the services' exceptions; load the user's memberships once per request.

    Token authentication comes first so that a request without credentials gets 401
    with ``WWW-Authenticate: Token`` (api.md), not the 403 session auth would give.
    Bodies are JSON only (api.md): a form or any other media type is a 415.
    """

    authentication_classes = [MembershipTokenAuthentication, SessionAuthentication]
    parser_classes = [JSONParser]  # registry.api.media's
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    #: Query parameters the view takes besides a list's filters, ordering and pages.
    query_parameters: tuple[str, ...] = ()

    def perform_authentication(self, request):
        super().perform_authentication(request)
        if request.user.is_authenticated:
            # Before the permission checks, which ask for roles and centres: every question
            # of registry.scoping reads these rows (one query, not one per row).
            load_memberships(request.user)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        method = request.method.lower()
        if method in self.http_method_names and hasattr(self, method):  # else a 405 follows
            self.refuse_unknown_query_parameters(request)

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
            known |= {"page", "page_size"}
            if getattr(self, "ordering_fields", None):
                known.add("ordering")
            filterset = getattr(self, "filterset_class", None)
            known |= set(filterset.base_filters if filterset is not None
                         else getattr(self, "filterset_fields", None) or ())
        return known

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError):
            exc = exceptions.ValidationError(detail=django_errors(exc))
        elif isinstance(exc, VersionConflict):
            exc = Conflict(detail=str(exc))
        return super().handle_exception(exc)


class WriteRole(permissions.BasePermission):
    """Reads for every authenticated user; writes need the clinician or data-manager role
    in the record's centre (researchers get 403)."""

    message = "Writing needs the clinician or data manager role in this centre."

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if view.kwargs.get(getattr(view, "lookup_url_kwarg", None) or "pk") is not None:
            return True  # a record: 404 if not in the user's centres, then the object check
        user = request.user
        return user.is_superuser or any(
            can_write(user, center_id) for center_id in (user_center_ids(user) or [])
        )

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return can_write(request.user, view.center_id_of(obj))


class ScopedPatientField(serializers.PrimaryKeyRelatedField):
    """A patient id limited to the user's centres: another centre's id is 'does not exist'."""

    def get_queryset(self):
        request = self.context.get("request")
        queryset = Patient.objects.all()
        if request is None:
            return queryset.none()
        return scope_patients(queryset, request.user)


FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2100, 12, 31)


class RegistryDateField(serializers.DateField):
    """A ``YYYY-MM-DD`` date between 1900 and 2100, the years the registry's models accept
    for birth and onset: a clinical date outside them is a typing error, not data."""

    default_error_messages = {
        "out_of_range": f"Enter a date between {FIRST_DATE} and {LAST_DATE}.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not FIRST_DATE <= day <= LAST_DATE:
            self.fail("out_of_range")
        return day


class RegistrySerializer(serializers.ModelSerializer):
    """Base of every API model serializer: registry dates, and no blank string for an
    optional choice (its absence is ``null``, as api.md lists it)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: RegistryDateField,
    }

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if model_field.choices and model_field.null:
            kwargs.pop("allow_blank", None)
        return field_class, kwargs


class VersionedSerializer(RegistrySerializer):
    """``version`` is sent back on PUT/PATCH (checked by the service) and read otherwise."""

    version = serializers.IntegerField(
        required=False, min_value=1,
        help_text="The version you read; required on PUT and PATCH (409 when stale).",
    )


def split(validated: Mapping[str, Any], nested: Iterable[str]) -> tuple[dict, dict, int | None]:
    """Validated data → (the record's own fields, its nested lists, the sent version)."""
    data = dict(validated)
    version = data.pop("version", None)
    children = {name: data.pop(name) for name in list(nested) if name in data}
    return data, children, version


PAGING_PARAMETERS = {"page", "page_size"}


class RegistryViewSet(ServiceErrorsMixin, viewsets.ModelViewSet):
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

    def check_patient_write(self, patient: Patient) -> None:
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
        """Re-read a written record so nested lists and computed fields show what was stored."""
        return self.get_queryset().get(pk=instance.pk)

    def create_record(self, *, patient, data, children, by):  # pragma: no cover - abstract
        raise NotImplementedError

    def update_record(self, *, record, version, data, children, by):  # pragma: no cover
        raise NotImplementedError

    def delete_record(self, *, record, by):  # pragma: no cover
        raise exceptions.MethodNotAllowed(self.request.method)
