"""Clinician forms of the patients domain. They only shape input; services write."""

from __future__ import annotations

from typing import cast

from django import forms
from django.db import models
from django.utils.translation import gettext, gettext_lazy

import catalogues as cat
from patients.models import (
    VISIT_MEASURE_FIELDS,
    VISIT_MEASURE_RANGES,
    Consent,
    Identity,
    NerveSegment,
    NerveStudy,
    Paraprotein,
    Patient,
    PriorTreatment,
    Titre,
    Visit,
)
from registry.forms import DATE, RecordForm, TranslatedLabels, VersionMixin
from registry.models import Center
from registry.widgets import IsoDateInput

MRC_CHOICES = [("", "–")] + [(str(g), str(g)) for g in range(6)]


# The patient form's consent and identity fields: ``<prefix>_<model field>``, built from
# the model fields (their lengths and types), shown in their own fieldsets.
CONSENT_FIELDS = ("given_on", "version", "withdrawn_on")
IDENTITY_FIELDS = ("name", "date_of_birth", "hospital_number")
CONSENT_LABELS = {"given_on": gettext_lazy("Consent given on"),
                  "version": gettext_lazy("Consent form version"),
                  "withdrawn_on": gettext_lazy("Consent withdrawn on")}


def _related_field(model, name: str, label: str) -> forms.Field:
    field = model._meta.get_field(name).formfield(label=label, required=False)
    if isinstance(field, forms.DateField):
        field.widget = DATE
    return field


class PatientForm(VersionMixin, forms.ModelForm):
    """The patient, with their consent and (when the user may see it: the patient's own
    centre's clinicians and data managers) their identity, ui.md."""

    center = forms.ModelChoiceField(queryset=Center.objects.none())
    affected_nerves = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(f"{side}:{nerve}", f"{side_label} {nerve_label}")
                 for nerve, nerve_label in cat.NERVES for side, side_label in cat.SIDES],
    )

    class Meta:
        model = Patient
        fields = ["code", "center", "sex", "birth_year", "diagnosis", "onset_year",
                  "neuropathy_pattern", "primary_measure", "notes"]
        widgets = {"code": forms.TextInput(attrs={"autofocus": True}),
                   "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, centers=None, with_identity: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        center = cast(forms.ModelChoiceField, self.fields["center"])  # declared above
        center.queryset = centers if centers is not None else Center.objects.none()
        cast(forms.MultipleChoiceField, self.fields["affected_nerves"]).choices = [
            (f"{side}:{nerve}", f"{gettext(side_label)} {gettext(nerve_label)}")
            for nerve, nerve_label in cat.NERVES for side, side_label in cat.SIDES]
        for name in CONSENT_FIELDS:
            self.fields[f"consent_{name}"] = _related_field(Consent, name,
                                                                 str(CONSENT_LABELS[name]))
        if with_identity:
            for name in IDENTITY_FIELDS:
                # The identity fields are Identity's own columns, never a reverse relation.
                field = cast(models.Field, Identity._meta.get_field(name))
                label = gettext(str(field.verbose_name).capitalize())
                self.fields[f"identity_{name}"] = _related_field(Identity, name, label)

    def _related(self, prefix: str, names: tuple[str, ...]) -> dict | None:
        """The consent or identity values, or None when the form left them as they were
        (no new audit row for an unchanged consent)."""
        keys = [f"{prefix}_{name}" for name in names]
        if not any(key in self.fields for key in keys):
            return None
        if self.instance.pk is not None and not set(keys) & set(self.changed_data):
            return None
        return {name: self.cleaned_data.get(f"{prefix}_{name}") for name in names}

    def consent(self) -> dict | None:
        return self._related("consent", CONSENT_FIELDS)

    def identity(self) -> dict | None:
        return self._related("identity", IDENTITY_FIELDS)

    def own_fields(self) -> list[forms.BoundField]:
        return [f for f in self.visible_fields()
                if f.name != "affected_nerves" and not f.name.startswith(("consent_", "identity_"))]

    def consent_fields(self) -> list[forms.BoundField]:
        return [self[f"consent_{name}"] for name in CONSENT_FIELDS]

    def identity_fields(self) -> list[forms.BoundField]:
        return [self[f"identity_{name}"] for name in IDENTITY_FIELDS
                if f"identity_{name}" in self.fields]

    @staticmethod
    def related_initial(patient: Patient | None, *, with_identity: bool) -> dict:
        """Initial values of the consent and identity fields from the stored rows."""
        initial = {}
        consent = Consent.objects.filter(patient=patient).first() if patient else None
        identity = (Identity.objects.filter(patient=patient).first()
                    if patient and with_identity else None)
        for prefix, row, names in (("consent", consent, CONSENT_FIELDS),
                                   ("identity", identity, IDENTITY_FIELDS)):
            if row is not None:
                initial.update({f"{prefix}_{name}": getattr(row, name) for name in names})
        return initial

    def nerves(self) -> list[dict]:
        return [dict(zip(("side", "nerve"), v.split(":"), strict=True))
                for v in self.cleaned_data.get("affected_nerves", [])]

    def data_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items()
                if k in (self._meta.fields or ()) and k != "center"}


class TitreForm(RecordForm):
    class Meta:
        model = Titre
        fields = ["sampled_on", "antigen", "isotype", "method", "value", "unit"]
        widgets = {"sampled_on": DATE}


class ParaproteinForm(RecordForm):
    class Meta:
        model = Paraprotein
        fields = ["measured_on", "isotype", "light_chain", "serum_level_g_l"]
        widgets = {"measured_on": DATE}


class PriorTreatmentForm(RecordForm):
    class Meta:
        model = PriorTreatment
        fields = ["kind", "started_on", "ended_on", "notes"]
        widgets = {"started_on": DATE, "ended_on": DATE}


def mrc_field_name(muscle: str, side: str) -> str:
    return f"mrc_{muscle}_{side}"


VISIT_SCALE_GROUPS = (
    (gettext_lazy("INCAT disability scale"), ("incat_arm", "incat_leg")),
    (gettext_lazy("I-RODS"), ("irods_centile", "irods_raw")),
    (gettext_lazy("Grip strength (kPa)"), ("grip_right_kpa", "grip_left_kpa")),
    (gettext_lazy("ONLS"), ("onls_arm", "onls_leg")),
    (gettext_lazy("Functional and Prineas scores"), ("functional_score", "prineas_score")),
)


class VisitForm(RecordForm):
    """A visit with its MRC grid: one 0–5 choice per muscle and side, blank = not tested."""

    class Meta:
        model = Visit
        fields = ["visited_on", "kind", "series", "examiner", "functional_score",
                  "prineas_score", *VISIT_MEASURE_FIELDS, "notes"]
        # Read inside their scale's fieldset (its legend names the scale).
        labels = {"incat_arm": gettext_lazy("INCAT arm"),
                  "incat_leg": gettext_lazy("INCAT leg"),
                  "irods_centile": gettext_lazy("I-RODS centile"),
                  "irods_raw": gettext_lazy("I-RODS raw score"),
                  "grip_right_kpa": gettext_lazy("Grip, right hand (kPa)"),
                  "grip_left_kpa": gettext_lazy("Grip, left hand (kPa)"),
                  "onls_arm": gettext_lazy("ONLS arm"), "onls_leg": gettext_lazy("ONLS leg")}
        widgets = {"visited_on": IsoDateInput(attrs={"autofocus": True}),
                   "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        series = cast(forms.ModelChoiceField, self.fields["series"])  # Visit.series, a key
        series.queryset = patient.series.order_by("number")
        # Django's label hook, replaced on this field only (the stubs type it as a method).
        series.label_from_instance = lambda s: (  # type: ignore[method-assign,assignment]
            gettext("Series %(number)s (%(started_on)s)")
            % {"number": s.number, "started_on": f"{s.started_on:%Y-%m-%d}"}
        )
        for muscle, muscle_label in cat.MUSCLES:
            for side, side_label in cat.SIDES:
                # The label is what a screen reader says in the grid ("Deltoid, right").
                self.fields[mrc_field_name(muscle, side)] = forms.TypedChoiceField(
                    choices=MRC_CHOICES, required=False, coerce=int, empty_value=None,
                    label=f"{gettext(muscle_label)}, {gettext(side_label).lower()}",
                )

        # The §9 scales: their range shown and enforced by the browser too (min/max); the
        # model validators (and the database checks) stay the authority.
        for name, (low, high) in {**VISIT_MEASURE_RANGES, "functional_score": (0, 5),
                                  "prineas_score": (0, 5)}.items():
            field = self.fields[name]
            field.widget.attrs.update({"min": low, "max": high})
            field.help_text = gettext("%(low)s–%(high)s") % {"low": low, "high": high}

    def scale_groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The §9 scales grouped as the visit form shows them, one fieldset each."""
        return [(str(legend), [self[name] for name in names])
                for legend, names in VISIT_SCALE_GROUPS]

    def grid(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(gettext(label), self[mrc_field_name(muscle, "R")],
                 self[mrc_field_name(muscle, "L")])
                for muscle, label in cat.MUSCLES]

    def mrc(self) -> list[dict]:
        return [
            {"muscle": muscle, "side": side, "grade": grade}
            for muscle, _ in cat.MUSCLES for side, _ in cat.SIDES
            if (grade := self.cleaned_data.get(mrc_field_name(muscle, side))) is not None
        ]


class NerveStudyForm(RecordForm):
    class Meta:
        model = NerveStudy
        fields = ["studied_on", "notes"]
        widgets = {"studied_on": DATE, "notes": forms.Textarea(attrs={"rows": 2})}


class SegmentForm(TranslatedLabels, forms.ModelForm):
    class Meta:
        model = NerveSegment
        fields = ["nerve", "side", "distal_site", "proximal_site", "distal_amplitude_mv",
                  "proximal_amplitude_mv", "distal_area_mvms", "proximal_area_mvms",
                  "distal_duration_ms", "proximal_duration_ms", "velocity_m_s"]


SegmentFormSet = forms.formset_factory(SegmentForm, extra=3, can_delete=True)


def segment_rows(formset) -> list[dict]:
    return [
        {k: v for k, v in f.cleaned_data.items() if k != "DELETE"}
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]
