"""List filters of the treatments domain (django-filter); bad values answer 400."""

from __future__ import annotations

import django_filters as df

from patients import catalogues as cat
from patients.api.filters import PatientRecordFilter
from treatments.models import Series


class SeriesFilter(PatientRecordFilter):
    status = df.ChoiceFilter(choices=cat.SERIES_STATUSES)
    started_after = df.DateFilter(field_name="started_on", lookup_expr="gte")
    started_before = df.DateFilter(field_name="started_on", lookup_expr="lte")
    lot = df.CharFilter(field_name="lots__lot", lookup_expr="iexact", distinct=True)

    class Meta:
        model = Series
        fields = ["patient", "status", "number"]
