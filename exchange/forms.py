"""Forms of the export and import pages: shape checks only; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

import catalogues as cat
from exchange.imports import ALL_OR_NOTHING, DRY_RUN, VALID_ONLY
from registry.forms import TranslatedLabels
from registry.models import Center
from registry.scoping import scope_centers

SPREADSHEET, RAW = "spreadsheet", "raw"


class ExportForm(TranslatedLabels, forms.Form):
    center = forms.ChoiceField(required=False, label=_("Centre"))
    diagnosis = forms.ChoiceField(required=False, choices=[("", _("every diagnosis")),
                                                           *cat.DIAGNOSES])
    identifiers = forms.BooleanField(
        required=False, label=_("Add direct identifiers (name, date of birth, hospital number)"),
    )
    csv = forms.ChoiceField(
        required=False, label=_("CSV files"), initial=SPREADSHEET, widget=forms.RadioSelect,
        choices=[(SPREADSHEET, _("safe to open in Excel")), (RAW, _("raw CSV for programs"))],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        centers = scope_centers(Center.objects.all(), user)
        self.fields["center"].choices = [("", _("all my centres")),
                                         *[(c.code, c.code) for c in centers]]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".csv,.zip"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)]


class ImportForm(TranslatedLabels, forms.Form):
    # A declared field named like BaseForm.files: Django's metaclass moves it into the fields.
    files = MultipleFileField(  # type: ignore[assignment]
        help_text=_("CSV files named after their dataset (patients.csv, visits.csv, mrc.csv, "
                    "…) or a ZIP of them, such as an export."),
    )
    mode = forms.ChoiceField(
        choices=[(ALL_OR_NOTHING, _("Write nothing unless every row is valid")),
                 (VALID_ONLY, _("Write the valid rows, skip the bad ones")),
                 (DRY_RUN, _("Only check the files, write nothing"))],
        initial=ALL_OR_NOTHING, widget=forms.RadioSelect,
    )

    @classmethod
    def refused(cls, message: str) -> ImportForm:
        """The form as a refused upload leaves it: its files' error, nothing read."""
        form = cls({"mode": ALL_OR_NOTHING})
        form.full_clean()
        form.errors["files"] = form.error_class([message])
        return form
