"""Serializers of the treatments domain: IVIg series with their lots and adverse events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework import serializers

from patients.api.fields import ScopedPatientField
from registry.api.serializers import RegistrySerializer, VersionedSerializer
from treatments.models import AdverseEvent, Series
from treatments.rules import interval_days

if TYPE_CHECKING:  # the validator type exists only in the stubs
    from rest_framework.validators import Validator


class AdverseEventSerializer(RegistrySerializer):
    class Meta:
        model = AdverseEvent
        fields = ["kind", "severity", "led_to_stop", "notes"]


class SeriesSerializer(VersionedSerializer):
    """``number`` defaults to the patient's next one; ``interval_days`` counts the days
    since the previous series started (null for series 1)."""

    patient = ScopedPatientField()
    number = serializers.IntegerField(min_value=1, required=False)
    lot_numbers = serializers.ListField(
        child=serializers.CharField(max_length=64, allow_blank=False), required=False
    )
    adverse_events = AdverseEventSerializer(many=True, required=False)
    total_grams = serializers.DecimalField(max_digits=7, decimal_places=1, read_only=True,
                                           allow_null=True)
    interval_days = serializers.SerializerMethodField()
    signed_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True,
        help_text="Who signed the series (clinical-rules.md §11), or null: while signed it "
                  "is read-only (writes answer 423).")
    signed_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Series
        fields = [
            "id", "patient", "number", "started_on", "days", "dose_g_per_kg", "weight_kg",
            "total_grams", "product", "lot_numbers", "status", "stop_reason",
            "adverse_events", "interval_days", "signed_by", "signed_at", "version",
        ]
        validators: list[Validator[Any]] = []

    def get_interval_days(self, series: Series) -> int | None:
        return interval_days(started_on=series.started_on,
                             previous_started_on=getattr(series, "previous_started_on", None))

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["lot_numbers"] = [lot.lot for lot in instance.lots.all()]
        return data
