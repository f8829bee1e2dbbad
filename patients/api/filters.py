"""List filters of the patients domain (django-filter); bad values answer 400."""

from __future__ import annotations

import django_filters as df

from patients import catalogues as cat
from patients.models import NerveStudy, Paraprotein, Patient, PriorTreatment, Titre, Visit


def filter_center(queryset, path: str, value: str):
    """``?center=`` takes the centre's code or its id."""
    if value.isdigit():
        return queryset.filter(**{f"{path}_id": int(value)})
    return queryset.filter(**{f"{path}__code": value})


class PatientFilter(df.FilterSet):
    center = df.CharFilter(method="filter_center", help_text="Centre code or id.")
    diagnosis = df.ChoiceFilter(choices=cat.DIAGNOSES)
    sex = df.ChoiceFilter(choices=cat.SEXES)
    code = df.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Patient
        fields = ["center", "diagnosis", "sex", "code"]

    def filter_center(self, queryset, name, value):
        return filter_center(queryset, "center", value)


class PatientRecordFilter(df.FilterSet):
    """``patient``, ``center`` and ``diagnosis`` shared by every record of a patient."""

    patient = df.NumberFilter(field_name="patient_id")
    center = df.CharFilter(method="filter_center", help_text="Centre code or id.")
    diagnosis = df.ChoiceFilter(field_name="patient__diagnosis", choices=cat.DIAGNOSES)

    def filter_center(self, queryset, name, value):
        return filter_center(queryset, "patient__center", value)


class TitreFilter(PatientRecordFilter):
    sampled_after = df.DateFilter(field_name="sampled_on", lookup_expr="gte")
    sampled_before = df.DateFilter(field_name="sampled_on", lookup_expr="lte")
    antigen = df.ChoiceFilter(choices=cat.ANTIGENS)
    isotype = df.ChoiceFilter(choices=cat.ISOTYPES)

    class Meta:
        model = Titre
        fields = ["patient", "antigen", "isotype"]


class ParaproteinFilter(PatientRecordFilter):
    measured_after = df.DateFilter(field_name="measured_on", lookup_expr="gte")
    measured_before = df.DateFilter(field_name="measured_on", lookup_expr="lte")
    isotype = df.ChoiceFilter(choices=cat.ISOTYPES)

    class Meta:
        model = Paraprotein
        fields = ["patient", "isotype"]


class PriorTreatmentFilter(PatientRecordFilter):
    kind = df.ChoiceFilter(choices=cat.PRIOR_TREATMENTS)
    started_after = df.DateFilter(field_name="started_on", lookup_expr="gte")
    started_before = df.DateFilter(field_name="started_on", lookup_expr="lte")

    class Meta:
        model = PriorTreatment
        fields = ["patient", "kind"]


class VisitFilter(PatientRecordFilter):
    kind = df.ChoiceFilter(choices=cat.VISIT_KINDS)
    series = df.NumberFilter(field_name="series_id")
    visited_after = df.DateFilter(field_name="visited_on", lookup_expr="gte")
    visited_before = df.DateFilter(field_name="visited_on", lookup_expr="lte")

    class Meta:
        model = Visit
        fields = ["patient", "kind", "series"]


class NerveStudyFilter(PatientRecordFilter):
    studied_after = df.DateFilter(field_name="studied_on", lookup_expr="gte")
    studied_before = df.DateFilter(field_name="studied_on", lookup_expr="lte")

    class Meta:
        model = NerveStudy
        fields = ["patient"]
