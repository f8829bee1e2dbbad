"""``queries/`` filters: ``status``, ``rule``, ``patient``, ``center``."""

from __future__ import annotations

import django_filters as df

from queries.models import RULE_CHOICES, STATUS_CHOICES, Query
from registry.api.filters import IntegerFilter, filter_center


class QueryFilter(df.FilterSet):
    patient = IntegerFilter(field_name="patient_id", help_text="Patient id.")
    center = df.CharFilter(method="filter_center", help_text="Centre code or id.")
    status = df.ChoiceFilter(choices=STATUS_CHOICES)
    rule = df.ChoiceFilter(choices=RULE_CHOICES)

    class Meta:
        model = Query
        fields = ["patient", "center", "status", "rule"]

    def filter_center(self, queryset, name, value):
        return filter_center(queryset, "patient__center", value)
