"""Bases of the API's model serializers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models
from rest_framework import serializers

from registry.api.fields import RegistryDateField


class RegistrySerializer(serializers.ModelSerializer):
    """Base of every API model serializer: registry dates, and no blank string for an
    optional choice (its absence is ``null``, as api.md lists it)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: RegistryDateField,
    }

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if model_field.choices and model_field.null:
            kwargs.pop("allow_blank", None)
        return field_class, kwargs


class VersionedSerializer(RegistrySerializer):
    """``version`` is sent back on PUT/PATCH (checked by the service) and read otherwise."""

    version = serializers.IntegerField(
        required=False, min_value=1,
        help_text="The version you read; required on PUT and PATCH (409 when stale).",
    )


def split(validated: Mapping[str, Any], nested: Iterable[str]) -> tuple[dict, dict, int | None]:
    """Validated data → (the record's own fields, its nested lists, the sent version)."""
    data = dict(validated)
    version = data.pop("version", None)
    children = {name: data.pop(name) for name in list(nested) if name in data}
    return data, children, version
