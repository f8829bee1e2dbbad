"""Forms of the queries pages: they only validate input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from queries.models import CONFIRMED, RECORD_LABELS, RESOLVED, RULE_CHOICES, STATUS_CHOICES
from registry.forms import TranslatedLabels


class QueryFilterForm(TranslatedLabels, forms.Form):
    status = forms.ChoiceField(choices=[("", _("unresolved")), *STATUS_CHOICES, ("all", _("all"))],
                               required=False)
    rule = forms.ChoiceField(choices=[("", _("all")), *RULE_CHOICES], required=False,
                             label=_("Rule"))
    center = forms.IntegerField(required=False, min_value=1, label=_("Centre"))
    patient = forms.CharField(required=False, max_length=40, label=_("Patient code"))


class AnswerForm(forms.Form):
    answer = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class CloseForm(TranslatedLabels, forms.Form):
    reason = forms.ChoiceField(choices=[(RESOLVED, _("Resolved (corrected or answered)")),
                                        (CONFIRMED, _("Confirmed: the data are right"))])
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RaiseForm(TranslatedLabels, forms.Form):
    patient = forms.CharField(max_length=40, label=_("Patient code"))
    record = forms.ChoiceField(choices=[(name, name.replace("_", " "))
                                        for name in RECORD_LABELS], initial="patient",
                               label=_("Record"))
    record_id = forms.IntegerField(required=False, min_value=1, label=_("Record id"),
                                   help_text=_("Empty for the patient itself."))
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=4000,
                              label=_("Question"))
