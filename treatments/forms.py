"""Clinician forms of the treatments domain. They only shape input; services write."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

import catalogues as cat
from registry.forms import DATE, RecordForm, TranslatedLabels
from treatments.models import AdverseEvent, Series, TailoringEpisode


class SeriesForm(RecordForm):
    lot_numbers = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Lot numbers, separated by commas or new lines."),
    )

    class Meta:
        model = Series
        fields = ["number", "started_on", "route", "regimen", "expected_interval_days", "days",
                  "dose_g_per_kg", "weight_kg", "height_cm", "dose_basis", "product",
                  "status", "stop_reason", "grams_given"]
        widgets = {"started_on": DATE}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Empty: the route's default (28 days iv, 7 sc), chosen by the service.
        self.fields["expected_interval_days"].required = False
        for name in self.DEFAULTED:  # absent: the model's default (iv, maintenance, actual)
            self.fields[name].required = False

    DEFAULTED = ("route", "regimen", "dose_basis")

    def data_fields(self) -> dict:
        return {k: v for k, v in super().data_fields().items()
                if not (k in self.DEFAULTED and v in (None, ""))}

    def lots(self) -> list[str]:
        text = self.cleaned_data.get("lot_numbers") or ""
        lots = (lot.strip() for lot in re.split(r"[,\n\r]+", text))
        return list(dict.fromkeys(lot for lot in lots if lot))


class AdverseEventForm(TranslatedLabels, forms.ModelForm):
    class Meta:
        model = AdverseEvent
        fields = ["kind", "severity", "led_to_stop", "notes"]
        widgets = {"notes": forms.TextInput}


AdverseEventFormSet = forms.formset_factory(AdverseEventForm, extra=2, can_delete=True)


def adverse_event_rows(formset) -> list[dict]:
    return [
        {k: v for k, v in f.cleaned_data.items() if k != "DELETE"}
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]


class DosingPreviewForm(forms.Form):
    """The inputs of the series form's live dosing values (clinical-rules.md §10); only
    shapes them: ``treatments.selectors.series_dosing_for`` computes."""

    route = forms.ChoiceField(choices=cat.ROUTES)
    dose_g_per_kg = forms.DecimalField(max_digits=3, decimal_places=2, min_value=0)
    weight_kg = forms.DecimalField(max_digits=5, decimal_places=1, min_value=1, max_value=400)
    height_cm = forms.DecimalField(max_digits=4, decimal_places=1, min_value=50,
                                   max_value=250, required=False)
    dose_basis = forms.ChoiceField(choices=cat.DOSE_BASES)
    started_on = forms.DateField(required=False, widget=DATE)


class ConsumptionPeriodForm(forms.Form):
    """The consumption report's period on /reports/ (clinical-rules.md §10)."""

    start = forms.DateField(required=False, widget=DATE)
    end = forms.DateField(required=False, widget=DATE)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The period ends on or after it starts."))
        return data
class TailoringEpisodeForm(RecordForm):
    """A dose-tailoring episode (clinical-rules.md §10); its result is computed."""

    class Meta:
        model = TailoringEpisode
        fields = ["kind", "started_on", "ended_on", "notes"]
        widgets = {"started_on": DATE, "ended_on": DATE,
                   "notes": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"ended_on": _("Leave empty while the attempt goes on.")}
