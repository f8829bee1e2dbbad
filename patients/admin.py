"""Admin data entry for data managers. Saves go through the services, which validate,
version and mark the patient's outcome stale (STYLE.md §3)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from patients.models import (
    AffectedNerve,
    Consent,
    Identity,
    MrcGrade,
    NerveSegment,
    NerveStudy,
    Paraprotein,
    Patient,
    PinnedTargetMuscle,
    PriorTreatment,
    Titre,
    Visit,
)
from registry.admin import CentreScopedAdmin, centre_filter
from registry.scoping import can_see_identifiers
from treatments.selectors import outcome_visit_scores, titre_significance_reader
from treatments.services import outcome_mark_stale


class StaleOnSaveAdmin(CentreScopedAdmin, SimpleHistoryAdmin):
    """Admin edits bump the record's version and mark the outcome stale in one transaction;
    every list, form and choice is limited to the data manager's centres."""

    history_list_display = ["history_source"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        outcome_mark_stale(patient_id=self.patient_id_of(form.instance))

    def delete_model(self, request, obj):
        patient_id = self.patient_id_of(obj)
        super().delete_model(request, obj)
        outcome_mark_stale(patient_id=patient_id)

    def patient_id_of(self, obj) -> int:
        return obj.patient_id


class AffectedNerveInline(admin.TabularInline):
    model = AffectedNerve
    extra = 0


class PinnedTargetInline(admin.TabularInline):
    model = PinnedTargetMuscle
    extra = 0


class IdentityInline(admin.StackedInline):
    """Direct identifiers: shown only to those who may see them for this patient."""

    model = Identity
    can_delete = False

    def has_view_permission(self, request, obj=None):
        allowed = obj is None or can_see_identifiers(request.user, obj.center_id)
        return allowed and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        allowed = obj is None or can_see_identifiers(request.user, obj.center_id)
        return allowed and super().has_change_permission(request, obj)


class ConsentInline(admin.StackedInline):
    model = Consent
    can_delete = False


@admin.register(Patient)
class PatientAdmin(StaleOnSaveAdmin):
    list_display = ["code", "diagnosis", "center", "sex", "birth_year", "outcome_status",
                    "version"]
    list_filter = ["diagnosis", centre_filter("center"), "sex", "outcome__status"]
    search_fields = ["code"]
    list_select_related = ["center", "outcome"]
    readonly_fields = ["version", "created_at", "updated_at", "outcome_status"]
    inlines = [IdentityInline, ConsentInline, AffectedNerveInline, PinnedTargetInline]

    @admin.display(description="Outcome")
    def outcome_status(self, obj):
        outcome = getattr(obj, "outcome", None)
        if outcome is None:
            return "—"
        return f"{outcome.status or '—'}{' (recomputing…)' if outcome.stale else ''}"

    def patient_id_of(self, obj) -> int:
        return obj.pk

    def has_delete_permission(self, request, obj=None):
        return False  # patients hold clinical records kept for traceability


class PatientRecordAdmin(StaleOnSaveAdmin):
    list_select_related = ["patient"]
    search_fields = ["patient__code"]
    readonly_fields = ["version", "created_at", "updated_at"]
    autocomplete_fields = ["patient"]


@admin.register(Titre)
class TitreAdmin(PatientRecordAdmin):
    list_display = ["patient", "sampled_on", "antigen", "isotype", "method", "value", "unit"]
    list_filter = ["antigen", "isotype", "method", "unit", "patient__diagnosis",
                   centre_filter("patient__center")]
    readonly_fields = [*PatientRecordAdmin.readonly_fields, "significant"]

    @admin.display(description="Significantly high", boolean=True)
    def significant(self, obj):
        """The rules' answer (clinical-rules.md §5), as on the API and the patient page."""
        return titre_significance_reader()(obj) if obj.pk else None


@admin.register(Paraprotein)
class ParaproteinAdmin(PatientRecordAdmin):
    list_display = ["patient", "measured_on", "isotype", "light_chain", "serum_level_g_l"]
    list_filter = ["isotype", "light_chain", "patient__diagnosis", centre_filter("patient__center")]


@admin.register(PriorTreatment)
class PriorTreatmentAdmin(PatientRecordAdmin):
    list_display = ["patient", "kind", "started_on", "ended_on"]
    list_filter = ["kind", "patient__diagnosis", centre_filter("patient__center")]


class MrcGradeInline(admin.TabularInline):
    model = MrcGrade
    extra = 0


@admin.register(Visit)
class VisitAdmin(PatientRecordAdmin):
    list_display = ["patient", "visited_on", "kind", "series", "functional_score",
                    "prineas_score", "score"]
    list_filter = ["kind", "patient__diagnosis", centre_filter("patient__center")]
    list_select_related = ["patient__outcome", "series"]
    readonly_fields = [*PatientRecordAdmin.readonly_fields, "score"]
    inlines = [MrcGradeInline]
    raw_id_fields = ["series"]

    @admin.display(description="Target score")
    def score(self, obj):
        outcome = getattr(obj.patient, "outcome", None)
        return outcome_visit_scores(outcome.result if outcome else None).get(obj.pk)


class NerveSegmentInline(admin.TabularInline):
    model = NerveSegment
    extra = 0


@admin.register(NerveStudy)
class NerveStudyAdmin(PatientRecordAdmin):
    list_display = ["patient", "studied_on"]
    list_filter = ["patient__diagnosis", centre_filter("patient__center")]
    inlines = [NerveSegmentInline]
