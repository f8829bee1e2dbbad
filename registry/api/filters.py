"""List filters every app's API shares (django-filter); bad values answer 400.

The core imports no domain app: ``PatientRecordFilter`` names the fields every patient
record has (``patient``, ``patient__center``, ``patient__diagnosis``), not their models.
"""

from __future__ import annotations

import django_filters as df
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

import catalogues as cat


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(df.NumberFilter):
    """An id or a count: ``1.5`` or ``1e3`` is a 400, not silently truncated."""

    field_class = forms.IntegerField


class IsoDateFilter(df.DateFilter):
    """A ``YYYY-MM-DD`` date (api.md), not the locale's other formats."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(*args, **kwargs)


def filter_center(queryset, path: str, value: str):
    """``?center=`` takes the centre's code or its id."""
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return queryset.filter(**{f"{path}_id": int(value)})
    return queryset.filter(**{f"{path}__code": value})


class PatientRecordFilter(df.FilterSet):
    """``patient``, ``center`` and ``diagnosis`` shared by every record of a patient."""

    patient = IntegerFilter(field_name="patient_id", help_text="Patient id.")
    center = df.CharFilter(method="filter_center", help_text="Centre code or id.")
    diagnosis = df.ChoiceFilter(field_name="patient__diagnosis", choices=cat.DIAGNOSES)

    def filter_center(self, queryset, name, value):
        return filter_center(queryset, "patient__center", value)
