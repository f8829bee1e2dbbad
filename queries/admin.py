"""Queries in the admin: read, searched by patient code, filtered, with their audit history;
closed by data managers through the service (the list's actions). Raised and answered on
the pages and through the API; nobody edits or deletes one here."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from queries import services
from queries.models import CONFIRMED, RESOLVED, Query
from registry.admin import CentreScopedAdmin, centre_filter
from registry.scoping import can_manage_queries
from registry.services import VersionConflict


@admin.register(Query)
class QueryAdmin(CentreScopedAdmin, SimpleHistoryAdmin):
    list_display = ["id", "raised_at", "patient", "rule", "record_model", "record_id",
                    "status", "close_reason", "answered_by", "closed_by"]
    list_filter = ["status", "rule", "close_reason", centre_filter("patient__center")]
    search_fields = ["patient__code"]
    list_select_related = ["patient", "answered_by", "closed_by"]
    date_hierarchy = "raised_at"
    readonly_fields = [f.name for f in Query._meta.fields]
    actions = ["close_resolved", "close_confirmed"]

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def _close(self, request, queryset, reason: str) -> None:
        closed = 0
        for query in queryset.select_related("patient"):
            if not can_manage_queries(request.user, query.patient.center_id):
                messages.error(request, f"Query {query.pk}: not a centre you manage.")
                continue
            try:
                services.query_close(query=query, version=query.version, by=request.user,
                                     reason=reason)
            except (ValidationError, VersionConflict) as error:
                text = " ".join(error.messages) if isinstance(error, ValidationError) \
                    else str(error)
                messages.error(request, f"Query {query.pk}: {text}")
            else:
                closed += 1
        if closed:
            messages.success(request, f"Closed {closed} quer{'y' if closed == 1 else 'ies'}.")

    @admin.action(description="Close as resolved (corrected or answered)")
    def close_resolved(self, request, queryset) -> None:
        self._close(request, queryset, RESOLVED)

    @admin.action(description="Close as confirmed: the data are right")
    def close_confirmed(self, request, queryset) -> None:
        self._close(request, queryset, CONFIRMED)
