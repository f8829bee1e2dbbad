"""Form widgets shared by every page of the registry."""

from __future__ import annotations

from django import forms

ISO_DATE = "%Y-%m-%d"


class IsoDateInput(forms.DateInput):
    """A browser date picker (``<input type="date">``) showing the stored date.

    Browsers read and submit a date input's value only as ``YYYY-MM-DD``; the locale's
    input format (en-GB ``10/01/2001``) shows an empty field that is then saved empty.
    Every form with a date uses this widget; the form fields always accept ISO input.
    """

    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format=ISO_DATE)
