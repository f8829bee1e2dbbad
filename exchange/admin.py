"""Exports and imports in the admin: on record, read-only (nobody adds, edits or deletes)."""

from django.contrib import admin

from exchange.models import ExportRecord, ImportRecord
from registry.scoping import admin_center_ids


class ReadOnlyAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        """A data manager sees the exports and imports of the people of their centres."""
        queryset = super().get_queryset(request)
        ids = admin_center_ids(request.user)
        if ids is None:
            return queryset
        return queryset.filter(user__memberships__center_id__in=ids).distinct()

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ExportRecord)
class ExportRecordAdmin(ReadOnlyAdmin):
    list_display = ["id", "started_at", "username", "source", "format", "dataset_list",
                    "filters", "identifiers", "rows", "finished_at"]
    list_filter = ["source", "format", "identifiers"]
    search_fields = ["username"]
    date_hierarchy = "started_at"

    @admin.display(description="Datasets")
    def dataset_list(self, obj: ExportRecord) -> str:
        return ", ".join(obj.datasets)


@admin.register(ImportRecord)
class ImportRecordAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "username", "source", "mode", "status", "committed",
                    "error_count", "finished_at"]
    list_filter = ["source", "mode", "status", "committed"]
    search_fields = ["username"]
    date_hierarchy = "created_at"
    exclude = ["upload"]
