"""Admin data entry for data managers, written through the same services as the pages and
the API (``registry.admin.ServiceAdmin``): the change form carries the ``version`` it was
read at, so a save made on a stale page is refused with a message instead of overwriting
another data manager's change; the services validate (dates against the visit's kind
included, clinical-rules.md §1), bump the version and mark the patient's outcome stale in
the same transaction. Every list, form and choice is limited to the data manager's
centres (``registry.admin.CentreScopedAdmin``)."""

from django.contrib import admin

from patients import services
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
from registry.admin import (
    ClinicalRecordAdmin,
    PatientRecordAdmin,
    SignedParentInline,
    SignedRecordAdmin,
    centre_filter,
)
from registry.models import AccessSurface
from registry.scoping import can_see_identifiers
from registry.services import access_log_record
from treatments.selectors import outcome_visit_scores, titre_significance_reader


def _one(rows):
    """A one-to-one inline's row (identity, consent): None when left unchanged."""
    if rows is None:
        return None
    return rows[0] if rows else {}


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
class PatientAdmin(ClinicalRecordAdmin):
    list_display = ["code", "diagnosis", "center", "sex", "birth_year", "outcome_status",
                    "version"]
    list_filter = ["diagnosis", centre_filter("center"), "sex", "outcome__status"]
    search_fields = ["code"]
    list_select_related = ["center", "outcome"]
    readonly_fields = ["version", "created_at", "updated_at", "outcome_status"]
    inlines = [IdentityInline, ConsentInline, AffectedNerveInline, PinnedTargetInline]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            patient = self.get_object(request, object_id)
            if (patient is not None and can_see_identifiers(request.user, patient.center_id)
                    and Identity.objects.filter(patient=patient).exists()):
                access_log_record(user=request.user, surface=AccessSurface.ADMIN,
                                  patients=[patient], path=request.path)
        return response

    def service_save(self, request, *, obj, data, version, children, change):
        nested = {
            "affected_nerves": children.get(AffectedNerve),
            "target_muscles": children.get(PinnedTargetMuscle),
            "identity": _one(children.get(Identity)),
            "consent": _one(children.get(Consent)),
        }
        if not change:
            center = data.pop("center")
            return services.patient_create(
                center=center, data=data, by=request.user,
                affected_nerves=nested["affected_nerves"] or (),
                target_muscles=nested["target_muscles"] or (),
                identity=nested["identity"], consent=nested["consent"])
        return services.patient_update(patient=obj, version=version, data=data,
                                       by=request.user, **nested)

    @admin.display(description="Outcome")
    def outcome_status(self, obj):
        outcome = getattr(obj, "outcome", None)
        if outcome is None:
            return "—"
        return f"{outcome.status or '—'}{' (recomputing…)' if outcome.stale else ''}"

    def has_delete_permission(self, request, obj=None):
        return False  # patients hold clinical records kept for traceability


class SimpleRecordAdmin(PatientRecordAdmin):
    """Titres, monoclonal proteins and prior treatments: written by
    ``patients.services.record_*``."""

    def service_save(self, request, *, obj, data, version, children, change):
        if not change:
            patient = data.pop("patient")
            return services.record_create(model=self.model, patient=patient, data=data,
                                          by=request.user)
        return services.record_update(record=obj, version=version, data=data, by=request.user)

    def service_delete(self, request, *, obj) -> None:
        services.record_delete(record=obj, by=request.user)


@admin.register(Titre)
class TitreAdmin(SimpleRecordAdmin):
    list_display = ["patient", "sampled_on", "antigen", "isotype", "method", "value", "unit"]
    list_filter = ["antigen", "isotype", "method", "unit", "patient__diagnosis",
                   centre_filter("patient__center")]
    readonly_fields = [*PatientRecordAdmin.readonly_fields, "significant"]

    @admin.display(description="Significantly high", boolean=True)
    def significant(self, obj):
        """The rules' answer (clinical-rules.md §5), as on the API and the patient page."""
        return titre_significance_reader()(obj, obj.patient.center_id) if obj.pk else None


@admin.register(Paraprotein)
class ParaproteinAdmin(SimpleRecordAdmin):
    list_display = ["patient", "measured_on", "isotype", "light_chain", "serum_level_g_l"]
    list_filter = ["isotype", "light_chain", "patient__diagnosis", centre_filter("patient__center")]


@admin.register(PriorTreatment)
class PriorTreatmentAdmin(SimpleRecordAdmin):
    list_display = ["patient", "kind", "started_on", "ended_on"]
    list_filter = ["kind", "patient__diagnosis", centre_filter("patient__center")]


class MrcGradeInline(SignedParentInline, admin.TabularInline):
    model = MrcGrade
    extra = 0


@admin.register(Visit)
class VisitAdmin(SignedRecordAdmin, PatientRecordAdmin):
    list_display = ["patient", "visited_on", "kind", "series", "functional_score",
                    "prineas_score", "score", "signed_by", "signed_at"]
    list_filter = ["kind", "patient__diagnosis", centre_filter("patient__center")]
    list_select_related = ["patient__outcome", "series", "signed_by"]
    readonly_fields = [*PatientRecordAdmin.readonly_fields, "score"]
    inlines = [MrcGradeInline]
    raw_id_fields = ["series"]

    def service_save(self, request, *, obj, data, version, children, change):
        mrc = children.get(MrcGrade)
        if not change:
            patient = data.pop("patient")
            return services.visit_record(patient=patient, data=data, mrc=mrc or (),
                                         by=request.user)
        return services.visit_update(visit=obj, version=version, data=data, mrc=mrc,
                                     by=request.user)

    def service_delete(self, request, *, obj) -> None:
        services.visit_delete(visit=obj, by=request.user)

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

    def service_save(self, request, *, obj, data, version, children, change):
        segments = children.get(NerveSegment)
        if not change:
            patient = data.pop("patient")
            return services.nerve_study_record(patient=patient, data=data,
                                               segments=segments or (), by=request.user)
        return services.nerve_study_update(study=obj, version=version, data=data,
                                           segments=segments, by=request.user)

    def service_delete(self, request, *, obj) -> None:
        services.nerve_study_delete(study=obj, by=request.user)
