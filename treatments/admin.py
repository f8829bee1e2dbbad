from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from simple_history.admin import SimpleHistoryAdmin

import catalogues as cat
from registry.admin import (
    CentreScopedAdmin,
    PatientRecordAdmin,
    SignedParentInline,
    SignedRecordAdmin,
    centre_filter,
)
from registry.models import Center
from registry.scoping import admin_center_ids, can_manage_reference_data
from registry.services import VersionConflict
from treatments import services
from treatments.models import (
    AdverseEvent,
    BlockCriteriaSet,
    DiagnosisRuleSet,
    LotNumber,
    NerveReference,
    Outcome,
    RuleSet,
    Series,
    TailoringEpisode,
    TitreThreshold,
)
from treatments.selectors import outcome_tailoring_results


@admin.register(TailoringEpisode)
class TailoringEpisodeAdmin(PatientRecordAdmin):
    """Written by ``tailoring_record`` / ``tailoring_update`` / ``tailoring_delete``; the
    result is the stored outcome's (clinical-rules.md §10), as on the API and the page."""

    list_display = ["patient", "kind", "started_on", "ended_on", "result"]
    list_filter = ["kind", "patient__diagnosis", centre_filter("patient__center")]
    search_fields = ["patient__code"]
    readonly_fields = [*PatientRecordAdmin.readonly_fields, "result", "relapse_on"]
    list_select_related = ["patient__outcome"]

    def _computed(self, obj) -> dict:
        outcome = getattr(obj.patient, "outcome", None) if obj.pk else None
        return outcome_tailoring_results(outcome.result if outcome else None).get(obj.pk, {})

    @admin.display(description="Result")
    def result(self, obj):
        code = self._computed(obj).get("result")
        return cat.label(cat.TAILORING_RESULTS, code) if code else "—"

    @admin.display(description="Relapse on")
    def relapse_on(self, obj):
        return self._computed(obj).get("relapse_on") or "—"

    def service_save(self, request, *, obj, data, version, children, change):
        if not change:
            patient = data.pop("patient")
            return services.tailoring_record(patient=patient, data=data, by=request.user)
        return services.tailoring_update(episode=obj, version=version, data=data,
                                         by=request.user)

    def service_delete(self, request, *, obj) -> None:
        services.tailoring_delete(episode=obj, by=request.user)


class LotInline(SignedParentInline, admin.TabularInline):
    model = LotNumber
    extra = 0


class AdverseEventInline(SignedParentInline, admin.TabularInline):
    model = AdverseEvent
    extra = 0


@admin.register(Series)
class SeriesAdmin(SignedRecordAdmin, PatientRecordAdmin):
    list_display = ["patient", "number", "started_on", "route", "regimen", "days",
                    "dose_g_per_kg", "weight_kg", "dosing_weight_kg", "prescribed_grams",
                    "status", "signed_by", "signed_at"]
    list_select_related = ["patient", "signed_by"]
    list_filter = ["status", "route", "regimen", "patient__diagnosis",
                   centre_filter("patient__center")]
    search_fields = ["patient__code", "lots__lot"]
    # Dosing values are records the service computes when the series is saved (§10).
    readonly_fields = [*PatientRecordAdmin.readonly_fields, "dosing_weight_kg", "total_grams",
                       "prescribed_grams", "dosing_rules_version"]
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


class ReferenceDataAdmin(SimpleHistoryAdmin):
    """Reference data written through ``treatments.services`` (which mark the concerned
    outcomes stale in the same transaction). The forms check what they can; a refusal
    the service still raises (a concurrent change) rolls the whole save back and is shown
    as a message, never a 500 and never half a write."""

    history_list_display = ["history_source"]

    def has_delete_permission(self, request, obj=None):
        return False  # old outcomes name these rows: kept

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ValidationError, VersionConflict) as error:
            text = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            self.message_user(request, f"Not saved: {text}", level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class RuleSetForm(forms.ModelForm):
    make_default_for = forms.MultipleChoiceField(
        choices=cat.DIAGNOSES, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Make this version the default rule set of these diagnoses (their"
                  " outcomes are recomputed).",
    )

    class Meta:
        model = RuleSet
        fields = ["version", "description", "parameters"]


@admin.register(RuleSet)
class RuleSetAdmin(ReferenceDataAdmin):
    """Versions are immutable: superusers add a new one; an existing one is read-only."""

    form = RuleSetForm
    list_display = ["version", "default_of", "created_at"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["version", "description", "parameters", "make_default_for"]
        return ["version", "description", "parameters", "default_of", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj is not None else []

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("defaults")

    @admin.display(description="default of")
    def default_of(self, obj):
        return ", ".join(sorted(row.diagnosis for row in obj.defaults.all())) or "—"

    def has_add_permission(self, request):
        return can_manage_reference_data(request.user)

    def has_change_permission(self, request, obj=None):
        return obj is None and can_manage_reference_data(request.user)  # never an existing one

    def save_model(self, request, obj, form, change):
        if change:  # unreachable through the form; the model refuses too
            raise ValidationError("A rule set is immutable: create a new version.")
        created = services.rule_set_create(
            version=obj.version, description=obj.description, parameters=obj.parameters,
            defaults=form.cleaned_data.get("make_default_for", ()), by=request.user,
        )
        obj.pk, obj.created_at = created.pk, created.created_at

    def save_related(self, request, form, formsets, change):
        pass  # no relations of its own; the defaults were written by the service


@admin.register(DiagnosisRuleSet)
class DiagnosisRuleSetAdmin(ReferenceDataAdmin):
    """The default rule set of each diagnosis; a change marks its outcomes stale."""

    list_display = ["diagnosis", "rule_set", "changed_at"]
    list_select_related = ["rule_set"]
    fields = ["diagnosis", "rule_set"]

    def get_readonly_fields(self, request, obj=None):
        return ["diagnosis"] if obj is not None else []

    def has_add_permission(self, request):
        return can_manage_reference_data(request.user)

    def has_change_permission(self, request, obj=None):
        return can_manage_reference_data(request.user)

    def save_model(self, request, obj, form, change):
        row = services.rule_set_make_default(rule_set=obj.rule_set, diagnosis=obj.diagnosis,
                                             by=request.user)
        obj.pk = row.pk


class BlockCriteriaForm(forms.ModelForm):
    # The revision the editor read: a save over someone else's newer one is refused.
    read_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = BlockCriteriaSet
        fields = ["code", "description", "parameters"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["read_revision"].initial = self.instance.revision

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and cleaned.get("read_revision") != BlockCriteriaSet.objects.get(
                pk=self.instance.pk).revision:
            raise forms.ValidationError("Someone changed this criteria set meanwhile; reload"
                                        " it and apply your change again.")
        return cleaned


@admin.register(BlockCriteriaSet)
class BlockCriteriaSetAdmin(ReferenceDataAdmin):
    """Superusers add and change criteria sets; each change is the set's next revision."""

    form = BlockCriteriaForm
    list_display = ["code", "revision"]
    readonly_fields = ["revision"]

    def get_readonly_fields(self, request, obj=None):
        return ["code", "revision"] if obj is not None else ["revision"]

    def has_add_permission(self, request):
        return can_manage_reference_data(request.user)

    def has_change_permission(self, request, obj=None):
        return can_manage_reference_data(request.user)

    def save_model(self, request, obj, form, change):
        if change:
            saved = services.block_criteria_update(
                criteria_set=obj, revision=form.cleaned_data.get("read_revision"),
                data={"parameters": obj.parameters, "description": obj.description},
                by=request.user,
            )
        else:
            saved = services.block_criteria_create(
                code=obj.code, parameters=obj.parameters, description=obj.description,
                by=request.user,
            )
        obj.pk, obj.revision = saved.pk, saved.revision


class TitreThresholdForm(forms.ModelForm):
    read_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = TitreThreshold
        fields = ["center", "antigen", "isotype", "method", "unit", "value", "source"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk:
            self.fields["read_version"].initial = self.instance.version
            for name in ("center", "antigen", "isotype", "method", "unit"):
                if name in self.fields:  # absent from a read-only view
                    self.fields[name].disabled = True  # a new assay or centre is a new row

    def clean(self):
        cleaned = super().clean()
        center = cleaned.get("center")
        center_id = center.pk if center else None
        if self.user is not None and not can_manage_reference_data(self.user,
                                                                   center_id=center_id):
            raise forms.ValidationError(
                {"center": "Data managers write their centres' thresholds; only a superuser"
                           " writes the general ones."})
        if self.instance.pk:
            stored = TitreThreshold.objects.get(pk=self.instance.pk)
            if not stored.current or cleaned.get("read_version") != stored.version:
                raise forms.ValidationError("This threshold was changed meanwhile (a newer"
                                            " revision exists); reload it.")
        return cleaned


@admin.register(TitreThreshold)
class TitreThresholdAdmin(ReferenceDataAdmin):
    """Data managers write their centres' thresholds, superusers the general ones. A save
    never edits a row: it adds the next revision and keeps the old row (not current)."""

    form = TitreThresholdForm
    list_display = ["antigen", "isotype", "method", "unit", "center", "value", "revision",
                    "current", "updated_at"]
    list_filter = ["current", "antigen", "isotype", "method", "unit", "center"]
    list_select_related = ["center"]
    readonly_fields = ["revision", "current"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)

        class WithUser(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, user=request.user, **inner)

        return WithUser

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "center":
            ids = admin_center_ids(request.user)
            if ids is not None:
                kwargs["queryset"] = Center.objects.filter(pk__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        ids = admin_center_ids(request.user)
        return (ids is None or bool(ids)) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not (obj.current and can_manage_reference_data(
                request.user, center_id=obj.center_id)):
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            saved = services.titre_threshold_update(
                threshold=obj, version=form.cleaned_data.get("read_version"),
                data={"value": obj.value, "source": obj.source}, by=request.user,
            )
        else:
            saved = services.titre_threshold_create(
                data={name: getattr(obj, name) for name in
                      ("center", "antigen", "isotype", "method", "unit", "value", "source")},
                by=request.user,
            )
        for field in TitreThreshold._meta.concrete_fields:  # the admin goes on with the new row
            setattr(obj, field.attname, getattr(saved, field.attname))


@admin.register(NerveReference)
class NerveReferenceAdmin(SimpleHistoryAdmin):
    history_list_display = ["history_source"]
    list_display = ["nerve", "lower_limit_amplitude_mv", "source"]

    def save_model(self, request, obj, form, change):
        # Through the service: the outcomes whose blocks the limit judges go stale.
        services.nerve_reference_save(reference=obj, by=request.user)
