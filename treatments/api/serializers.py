"""Serializers of the treatments domain: IVIg series with their lots and adverse events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from patients.api.fields import ScopedPatientField
from registry.api.serializers import RegistrySerializer, VersionedSerializer
from treatments.api.outcome import one_of
from treatments.models import AdverseEvent, Series, TailoringEpisode
from treatments.rules import TailoringResult, interval_days
from treatments.selectors import outcome_series_row, outcome_tailoring_results

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
    # clinical-rules.md §10: stored when the series is saved (the service), read-only here.
    dosing_weight_kg = serializers.DecimalField(max_digits=5, decimal_places=1,
                                                read_only=True, allow_null=True)
    prescribed_grams = serializers.DecimalField(max_digits=7, decimal_places=1,
                                                read_only=True, allow_null=True)
    dose_intensity_g_per_kg_4w = serializers.SerializerMethodField()
    expected_interval_days = serializers.IntegerField(
        min_value=1, max_value=365, required=False, allow_null=True,
        help_text="Days expected to the next series; empty: 28 iv, 7 sc.")
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
            "adverse_events", "interval_days", "route", "regimen", "expected_interval_days",
            "height_cm", "dose_basis", "dosing_weight_kg", "prescribed_grams", "grams_given",
            "dose_intensity_g_per_kg_4w", "signed_by", "signed_at", "version",
        ]
        validators: list[Validator[Any]] = []

    def get_interval_days(self, series: Series) -> int | None:
        return interval_days(started_on=series.started_on,
                             previous_started_on=getattr(series, "previous_started_on", None))

    def get_dose_intensity_g_per_kg_4w(self, series: Series) -> float | None:
        """As the stored outcome computed it (clinical-rules.md §10); null until the
        outcome has been computed with this series."""
        row = outcome_series_row(getattr(series, "outcome_series", None), series.number)
        return row.get("dose_intensity")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["lot_numbers"] = [lot.lot for lot in instance.lots.all()]
        return data


class TailoringEpisodeSerializer(VersionedSerializer):
    """``result`` and ``relapse_on`` are the stored outcome's (clinical-rules.md §10): null
    until the outcome is computed with this episode."""

    patient = ScopedPatientField()
    result = serializers.SerializerMethodField()
    relapse_on = serializers.SerializerMethodField()

    class Meta:
        model = TailoringEpisode
        fields = ["id", "patient", "kind", "started_on", "ended_on", "notes", "result",
                  "relapse_on", "version"]
        validators: list[Validator[Any]] = []

    def _computed(self, episode: TailoringEpisode) -> dict:
        outcome = getattr(episode.patient, "outcome", None)
        if outcome is None:
            return {}
        return outcome_tailoring_results(outcome.result).get(episode.pk, {})

    @extend_schema_field(one_of(TailoringResult, null=True))
    def get_result(self, episode: TailoringEpisode) -> str | None:
        return self._computed(episode).get("result")

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_relapse_on(self, episode: TailoringEpisode) -> str | None:
        return self._computed(episode).get("relapse_on")
