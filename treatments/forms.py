"""Clinician forms of the treatments domain. They only shape input; services write."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from registry.forms import DATE, RecordForm, TranslatedLabels
from treatments.models import AdverseEvent, Series, TailoringEpisode


class SeriesForm(RecordForm):
    lot_numbers = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Lot numbers, separated by commas or new lines."),
    )

    class Meta:
        model = Series
        fields = ["number", "started_on", "days", "dose_g_per_kg", "weight_kg", "product",
                  "status", "stop_reason"]
        widgets = {"started_on": DATE}

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


class TailoringEpisodeForm(RecordForm):
    """A dose-tailoring episode (clinical-rules.md §10); its result is computed."""

    class Meta:
        model = TailoringEpisode
        fields = ["kind", "started_on", "ended_on", "notes"]
        widgets = {"started_on": DATE, "ended_on": DATE,
                   "notes": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"ended_on": "Leave empty while the attempt goes on."}
