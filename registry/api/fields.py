"""Serializer fields every app's API shares."""

from __future__ import annotations

from datetime import date

from rest_framework import serializers

FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2100, 12, 31)


class RegistryDateField(serializers.DateField):
    """A ``YYYY-MM-DD`` date between 1900 and 2100, the years the registry's models accept
    for birth and onset: a clinical date outside them is a typing error, not data."""

    default_error_messages = {
        "out_of_range": f"Enter a date between {FIRST_DATE} and {LAST_DATE}.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not FIRST_DATE <= day <= LAST_DATE:
            self.fail("out_of_range")
        return day
