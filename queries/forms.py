"""Forms of the queries pages: they only validate input; the services decide."""

from __future__ import annotations

from django import forms

from queries.models import CONFIRMED, RECORD_LABELS, RESOLVED, RULE_CHOICES, STATUS_CHOICES


class QueryFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "unresolved"), *STATUS_CHOICES, ("all", "all")],
                               required=False)
    rule = forms.ChoiceField(choices=[("", "all"), *RULE_CHOICES], required=False)
    center = forms.IntegerField(required=False, min_value=1)
    patient = forms.CharField(required=False, max_length=40, label="Patient code")


class AnswerForm(forms.Form):
    answer = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class CloseForm(forms.Form):
    reason = forms.ChoiceField(choices=[(RESOLVED, "Resolved (corrected or answered)"),
                                        (CONFIRMED, "Confirmed: the data are right")])
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RaiseForm(forms.Form):
    patient = forms.CharField(max_length=40, label="Patient code")
    record = forms.ChoiceField(choices=[(name, name.replace("_", " "))
                                        for name in RECORD_LABELS], initial="patient")
    record_id = forms.IntegerField(required=False, min_value=1,
                                   help_text="Empty for the patient itself.")
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)
