"""What every clinician form of the registry shares: the version it was read at, a simple
record's fields, the date widget, and a service's errors shown beside their fields.

The core imports no domain app: a form names its model in its own app's ``forms.py``.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.utils import pretty_name
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from registry.widgets import IsoDateInput

DATE = IsoDateInput()


def put_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError next to the fields it names (else on top)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages in error.message_dict.items():
        target = field if field in form.fields and field != NON_FIELD_ERRORS else None
        form.add_error(target, messages)


class TranslatedLabels:
    """Labels, help texts and choices in the page's language.

    The models' field labels and the code lists' labels are English literals that
    ``registry/i18n_labels.py`` marks for translation (``manage.py i18n_labels``); they are
    translated here, when the form is built for a request, so the stored codes and the
    API never change with the language.
    """

    fields: dict[str, forms.Field]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            label = field.label if field.label is not None else pretty_name(name)
            if label:
                field.label = gettext(str(label))
            if field.help_text:
                field.help_text = gettext(str(field.help_text))
            if isinstance(field, forms.ChoiceField) and not isinstance(
                    field, forms.ModelChoiceField):
                field.choices = [(value, gettext(text) if isinstance(text, str) else text)
                                 for value, text in field.choices]


class VersionMixin(TranslatedLabels, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class RecordForm(VersionMixin, forms.ModelForm):
    """A simple patient record; ``Meta.model`` set by subclasses.

    The model's own validation runs on the form too (errors beside their fields); the
    service validates again and is the one that writes.
    """

    def data_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k in (self._meta.fields or ())}


class SignForm(TranslatedLabels, forms.Form):
    """Signing a record (clinical-rules.md §11): the signer re-enters their password."""

    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}), strip=False,
        label=_("Your password"), help_text=_("Re-enter your password: you reviewed and "
                                              "confirm this record (reviewed and confirmed)."))


class UnlockForm(TranslatedLabels, forms.Form):
    """Unlocking a signed record: a data manager says why (kept in the history)."""

    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             label=_("Reason"), help_text=_("Why the signed record must change."))
