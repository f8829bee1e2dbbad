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
        help_text="The version you read; required on PUT and PATCH (400 when missing, 409 "
                  "when stale).",
    )

    VERSION_REQUIRED = "This field is required on PUT and PATCH: send the version you read."

    def to_internal_value(self, data):
        """An update (PUT or PATCH, partial or not) without ``version`` is a 400 naming it,
        as the schema marks it required (api-decisions.md); a stale one is the service's
        409. Creating a record does not ask for it."""
        missing = self.instance is not None and isinstance(data, Mapping) and (
            "version" not in data)
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if missing and isinstance(error.detail, dict):
                error.detail.setdefault("version", [self.VERSION_REQUIRED])
            raise
        if missing:
            raise serializers.ValidationError({"version": [self.VERSION_REQUIRED]})
        return value


def split(validated: Mapping[str, Any], nested: Iterable[str]) -> tuple[dict, dict, int | None]:
    """Validated data → (the record's own fields, its nested lists, the sent version)."""
    data = dict(validated)
    version = data.pop("version", None)
    children = {name: data.pop(name) for name in list(nested) if name in data}
    return data, children, version
