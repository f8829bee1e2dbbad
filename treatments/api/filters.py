"""List filters of the treatments domain (django-filter); bad values answer 400."""

from __future__ import annotations

import django_filters as df

import catalogues as cat
from registry.api.filters import IntegerFilter, IsoDateFilter, PatientRecordFilter
from treatments.models import Series, TailoringEpisode


class SeriesFilter(PatientRecordFilter):
    status = df.ChoiceFilter(choices=cat.SERIES_STATUSES)
    started_on = IsoDateFilter()
    started_after = IsoDateFilter(field_name="started_on", lookup_expr="gte")
    started_before = IsoDateFilter(field_name="started_on", lookup_expr="lte")
    number = IntegerFilter(help_text="Series number within the patient.")
    lot = df.CharFilter(field_name="lots__lot", lookup_expr="iexact", distinct=True)

    class Meta:
        model = Series
        fields = ["patient", "status", "number"]


class TailoringEpisodeFilter(PatientRecordFilter):
    kind = df.ChoiceFilter(choices=cat.TAILORING_KINDS)
    started_after = IsoDateFilter(field_name="started_on", lookup_expr="gte")
    started_before = IsoDateFilter(field_name="started_on", lookup_expr="lte")

    class Meta:
        model = TailoringEpisode
        fields = ["patient", "kind"]
