"""List filters of the patients domain (django-filter); bad values answer 400."""

from __future__ import annotations

import django_filters as df

import catalogues as cat
from patients.models import NerveStudy, Paraprotein, Patient, PriorTreatment, Titre, Visit
from registry.api.filters import IntegerFilter, IsoDateFilter, PatientRecordFilter, filter_center


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
