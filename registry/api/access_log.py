"""``access-log/``: who was shown which patient's direct identifiers, when and where
(registry.models.AccessLog). Data managers read their centres' entries, superusers all;
read-only for everyone (the table is append-only)."""

from __future__ import annotations

import django_filters as df
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, viewsets
from rest_framework.routers import SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from registry.api.filters import IntegerFilter, IsoDateFilter
from registry.api.viewsets import RegistryViewMixin
from registry.models import AccessLog, AccessSurface
from registry.scoping import access_log_center_ids, can_read_access_log


class AccessLogSerializer(serializers.ModelSerializer):
    patient = serializers.IntegerField(source="patient_id", read_only=True)
    user = serializers.IntegerField(source="user_id", read_only=True, allow_null=True)
    center: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True)

    class Meta:
        model = AccessLog
        fields = ["id", "at", "user", "username", "patient", "patient_code", "center",
                  "surface", "path"]
        read_only_fields = fields


class AccessLogFilter(df.FilterSet):
    patient = IntegerFilter(field_name="patient_id", help_text="Patient id.")
    user = IntegerFilter(field_name="user_id", help_text="User id.")
    surface = df.ChoiceFilter(choices=AccessSurface.choices)
    date = IsoDateFilter(field_name="at", lookup_expr="date",
                         help_text="Entries of that day (YYYY-MM-DD).")

    class Meta:
        model = AccessLog
        fields = ["patient", "user", "surface", "date"]


# ``from`` and ``to`` are Python keywords: declared the long way.
AccessLogFilter.base_filters["from"] = IsoDateFilter(
    field_name="at", lookup_expr="date__gte", help_text="From this day on (YYYY-MM-DD).")
AccessLogFilter.base_filters["to"] = IsoDateFilter(
    field_name="at", lookup_expr="date__lte", help_text="Up to this day (YYYY-MM-DD).")


class DataManagers(permissions.BasePermission):
    message = "The access log is for data managers."

    def has_permission(self, request, view) -> bool:
        # An entry of a centre you do not read is a 404 like any other record's (its
        # existence is not revealed); the list says plainly that it is not yours to read.
        return view.action != "list" or can_read_access_log(request.user)


FORBIDDEN = OpenApiResponse(description="The access log is for data managers.")


@extend_schema_view(list=extend_schema(responses={200: AccessLogSerializer(many=True),
                                                  403: FORBIDDEN}),
                    retrieve=extend_schema(responses={200: AccessLogSerializer}))
class AccessLogViewSet(RegistryViewMixin, viewsets.ReadOnlyModelViewSet):
    """Each display of a patient's direct identifiers (patient page, API detail, admin,
    identified export, FHIR), newest first; your centres' patients only."""

    serializer_class = AccessLogSerializer
    permission_classes = [permissions.IsAuthenticated, DataManagers]
    filterset_class = AccessLogFilter
    ordering_fields = ["at", "id"]

    def get_queryset(self):
        queryset = AccessLog.objects.select_related("center").order_by("-at", "-id")
        centers = access_log_center_ids(self.request.user)
        return queryset if centers is None else queryset.filter(center_id__in=centers)


router = SimpleRouter()
router.register("access-log", AccessLogViewSet, basename="access-log")
urlpatterns = format_suffix_patterns(router.urls)
