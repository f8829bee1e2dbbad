from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from registry.admin import CentreScopedAdmin, PatientRecordAdmin, centre_filter
from treatments import services
from treatments.models import (
    AdverseEvent,
    BlockCriteriaSet,
    LotNumber,
    NerveReference,
    Outcome,
    RuleSet,
    Series,
    TitreThreshold,
)


class LotInline(admin.TabularInline):
    model = LotNumber
    extra = 0


class AdverseEventInline(admin.TabularInline):
    model = AdverseEvent
    extra = 0


@admin.register(Series)
class SeriesAdmin(PatientRecordAdmin):
    list_display = ["patient", "number", "started_on", "days", "dose_g_per_kg", "weight_kg",
                    "total_grams", "status"]
    list_filter = ["status", "patient__diagnosis", centre_filter("patient__center")]
    search_fields = ["patient__code", "lots__lot"]
    readonly_fields = [*PatientRecordAdmin.readonly_fields, "total_grams"]
    inlines = [LotInline, AdverseEventInline]

    def service_save(self, request, *, obj, data, version, children, change):
        """Through ``series_give`` / ``series_update``, with the version check."""
        lots = children.get(LotNumber)
        lot_numbers = None if lots is None else [row["lot"] for row in lots]
        events = children.get(AdverseEvent)
        if not change:
            patient = data.pop("patient")
            return services.series_give(patient=patient, data=data, by=request.user,
                                        lot_numbers=lot_numbers or (),
                                        adverse_events=events or ())
        return services.series_update(series=obj, version=version, data=data, by=request.user,
                                      lot_numbers=lot_numbers, adverse_events=events)

    def has_delete_permission(self, request, obj=None):
        return False  # a given series is never deleted (traceability)


@admin.register(Outcome)
class OutcomeAdmin(CentreScopedAdmin, admin.ModelAdmin):
    list_display = ["patient", "status", "rules_version", "computed_at", "stale"]
    list_filter = ["status", "rules_version", "patient__diagnosis",
                   centre_filter("patient__center")]
    search_fields = ["patient__code"]
    list_select_related = ["patient"]
    readonly_fields = ["patient", "data_version", "computed_data_version", "rules_version",
                       "computed_at", "status", "result"]

    @admin.display(boolean=True)
    def stale(self, obj):
        return obj.stale

    def has_add_permission(self, request):
        return False  # computed, never typed

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RuleSet)
class RuleSetAdmin(SimpleHistoryAdmin):
    history_list_display = ["history_source"]
    list_display = ["version", "is_default", "created_at"]


@admin.register(BlockCriteriaSet)
class BlockCriteriaSetAdmin(SimpleHistoryAdmin):
    history_list_display = ["history_source"]
    list_display = ["code", "is_default"]


@admin.register(TitreThreshold)
class TitreThresholdAdmin(SimpleHistoryAdmin):
    history_list_display = ["history_source"]
    list_display = ["antigen", "isotype", "method", "unit", "value", "revision", "updated_at"]
    list_filter = ["antigen", "isotype", "method", "unit"]
    readonly_fields = ["revision"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.revision += 1
        super().save_model(request, obj, form, change)


@admin.register(NerveReference)
class NerveReferenceAdmin(SimpleHistoryAdmin):
    history_list_display = ["history_source"]
    list_display = ["nerve", "lower_limit_amplitude_mv", "source"]
