"""List filters of the patients domain (django-filter); bad values answer 400."""

from __future__ import annotations

import django_filters as df
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

import catalogues as cat
from patients.models import NerveStudy, Paraprotein, Patient, PriorTreatment, Titre, Visit


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


class PatientFilter(df.FilterSet):
    center = df.CharFilter(method="filter_center", help_text="Centre code or id.")
    diagnosis = df.ChoiceFilter(choices=cat.DIAGNOSES)
    sex = df.ChoiceFilter(choices=cat.SEXES)
    code = df.CharFilter(lookup_expr="iexact")
    status = df.ChoiceFilter(field_name="outcome__status", choices=cat.OUTCOME_STATUSES,
                             help_text="Status of the latest computed outcome.")

    class Meta:
        model = Patient
        fields = ["center", "diagnosis", "sex", "code", "status"]

    def filter_center(self, queryset, name, value):
        return filter_center(queryset, "center", value)


class PatientRecordFilter(df.FilterSet):
    """``patient``, ``center`` and ``diagnosis`` shared by every record of a patient."""

    patient = IntegerFilter(field_name="patient_id", help_text="Patient id.")
    center = df.CharFilter(method="filter_center", help_text="Centre code or id.")
    diagnosis = df.ChoiceFilter(field_name="patient__diagnosis", choices=cat.DIAGNOSES)

    def filter_center(self, queryset, name, value):
        return filter_center(queryset, "patient__center", value)


class TitreFilter(PatientRecordFilter):
    sampled_on = IsoDateFilter()
    sampled_after = IsoDateFilter(field_name="sampled_on", lookup_expr="gte")
    sampled_before = IsoDateFilter(field_name="sampled_on", lookup_expr="lte")
    antigen = df.ChoiceFilter(choices=cat.ANTIGENS)
    isotype = df.ChoiceFilter(choices=cat.ISOTYPES)

    class Meta:
        model = Titre
        fields = ["patient", "antigen", "isotype"]


class ParaproteinFilter(PatientRecordFilter):
    measured_on = IsoDateFilter()
    measured_after = IsoDateFilter(field_name="measured_on", lookup_expr="gte")
    measured_before = IsoDateFilter(field_name="measured_on", lookup_expr="lte")
    isotype = df.ChoiceFilter(choices=cat.ISOTYPES)

    class Meta:
        model = Paraprotein
        fields = ["patient", "isotype"]


class PriorTreatmentFilter(PatientRecordFilter):
    kind = df.ChoiceFilter(choices=cat.PRIOR_TREATMENTS)
    started_on = IsoDateFilter()
    started_after = IsoDateFilter(field_name="started_on", lookup_expr="gte")
    started_before = IsoDateFilter(field_name="started_on", lookup_expr="lte")

    class Meta:
        model = PriorTreatment
        fields = ["patient", "kind"]


class VisitFilter(PatientRecordFilter):
    kind = df.ChoiceFilter(choices=cat.VISIT_KINDS)
    series = IntegerFilter(field_name="series_id", help_text="Series id.")
    visited_on = IsoDateFilter()
    visited_after = IsoDateFilter(field_name="visited_on", lookup_expr="gte")
    visited_before = IsoDateFilter(field_name="visited_on", lookup_expr="lte")

    class Meta:
        model = Visit
        fields = ["patient", "kind", "series"]


class NerveStudyFilter(PatientRecordFilter):
    studied_on = IsoDateFilter()
    studied_after = IsoDateFilter(field_name="studied_on", lookup_expr="gte")
    studied_before = IsoDateFilter(field_name="studied_on", lookup_expr="lte")

    class Meta:
        model = NerveStudy
        fields = ["patient"]
