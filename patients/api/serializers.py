"""Serializers of the patients domain: shape and type checks only; services do the writing."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from patients.models import (
    AffectedNerve,
    Consent,
    Identity,
    MrcGrade,
    NerveSegment,
    NerveStudy,
    Paraprotein,
    Patient,
    PinnedTargetMuscle,
    PriorTreatment,
    Titre,
    Visit,
)
from registry.api.base import RegistrySerializer, ScopedPatientField, VersionedSerializer
from registry.models import Center
from registry.scoping import can_see_identifiers, scope_by_patient, scope_centers
from treatments.models import Series
from treatments.rules import SegmentIn, segment_block


class CenterSerializer(RegistrySerializer):
    class Meta:
        model = Center
        fields = ["id", "name", "code"]


class ScopedCenterField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return Center.objects.none()
        return scope_centers(Center.objects.all(), request.user)


class _Rows(list):
    """Rows the database already shaped as the API shows them."""


class NestedRows(serializers.ListSerializer):
    """A patient's nested list, read from ``<name>_rows`` when the queryset brought it
    (``patients.selectors.attach_nested_rows``): those dicts are the representation already
    (their keys are the child's fields, their values plain codes), so they are passed on
    as they are; otherwise the related rows are serialised as usual."""

    def get_attribute(self, instance):
        rows = getattr(instance, f"{self.field_name}_rows", None)
        return _Rows(rows) if rows is not None else super().get_attribute(instance)

    def to_representation(self, data):
        return list(data) if isinstance(data, _Rows) else super().to_representation(data)


class AffectedNerveSerializer(RegistrySerializer):
    class Meta:
        model = AffectedNerve
        fields = ["side", "nerve"]
        validators = []
        list_serializer_class = NestedRows


class TargetMuscleSerializer(RegistrySerializer):
    class Meta:
        model = PinnedTargetMuscle
        fields = ["muscle", "side"]
        validators = []
        list_serializer_class = NestedRows


class ConsentSerializer(RegistrySerializer):
    class Meta:
        model = Consent
        fields = ["given_on", "version", "withdrawn_on"]


class IdentitySerializer(RegistrySerializer):
    class Meta:
        model = Identity
        fields = ["name", "date_of_birth", "hospital_number"]


class PatientSerializer(VersionedSerializer):
    """``identity`` is present only when the view shows it (detail, never lists) and the
    user is a clinician or data manager of the patient's centre; otherwise the key is absent."""

    center = ScopedCenterField()
    affected_nerves = AffectedNerveSerializer(many=True, required=False)
    target_muscles = TargetMuscleSerializer(many=True, required=False)
    consent = ConsentSerializer(required=False, allow_null=True)
    identity = IdentitySerializer(required=False, allow_null=True)

    class Meta:
        model = Patient
        fields = [
            "id", "code", "center", "sex", "birth_year", "diagnosis", "onset_year",
            "neuropathy_pattern", "affected_nerves", "target_muscles", "consent", "identity",
            "notes", "version", "created_at", "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        # The view says whether identity may be shown; schema generation keeps the field.
        if self.context.get("with_identity", True) is False:
            fields.pop("identity")
        return fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if "identity" in data and not (
            request and can_see_identifiers(request.user, instance.center_id)
        ):
            del data["identity"]
        return data


class TitreSerializer(VersionedSerializer):
    """``significant`` compares with the assay's threshold (clinical-rules.md §5):
    null when no threshold exists for that antigen, isotype, method and unit."""

    patient = ScopedPatientField()
    significant = serializers.SerializerMethodField()

    class Meta:
        model = Titre
        fields = [
            "id", "patient", "sampled_on", "antigen", "isotype", "method", "value", "unit",
            "significant", "version",
        ]
        validators = []

    def get_significant(self, titre: Titre) -> bool | None:
        threshold = self.context["thresholds"]().get(
            (titre.antigen, titre.isotype, titre.method, titre.unit)
        )
        if threshold is None or titre.value is None:
            return None
        return Decimal(titre.value) >= threshold


class ParaproteinSerializer(VersionedSerializer):
    patient = ScopedPatientField()

    class Meta:
        model = Paraprotein
        fields = ["id", "patient", "measured_on", "isotype", "light_chain", "serum_level_g_l",
                  "version"]
        validators = []


class PriorTreatmentSerializer(VersionedSerializer):
    patient = ScopedPatientField()

    class Meta:
        model = PriorTreatment
        fields = ["id", "patient", "kind", "started_on", "ended_on", "notes", "version"]
        validators = []


class MrcGradeSerializer(RegistrySerializer):
    class Meta:
        model = MrcGrade
        fields = ["muscle", "side", "grade"]
        validators = []


class ScopedSeriesField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return Series.objects.none()
        return scope_by_patient(Series.objects.all(), request.user)


class VisitSerializer(VersionedSerializer):
    """``score`` is the target-muscle sum the stored outcome gives this visit (or null)."""

    patient = ScopedPatientField()
    series = ScopedSeriesField(allow_null=True, required=False)
    mrc = MrcGradeSerializer(many=True, required=False)
    score = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id", "patient", "visited_on", "kind", "series", "examiner", "mrc",
            "functional_score", "prineas_score", "notes", "score", "version",
        ]
        validators = []

    def get_score(self, visit: Visit) -> int | None:
        outcome = getattr(visit.patient, "outcome", None)
        if outcome is None:
            return None
        for row in (outcome.result or {}).get("visits") or []:
            if row.get("id") == visit.pk:
                return row.get("score")
        return None


class NerveSegmentSerializer(RegistrySerializer):
    block = serializers.SerializerMethodField()

    class Meta:
        model = NerveSegment
        fields = [
            "nerve", "side", "distal_site", "proximal_site", "distal_amplitude_mv",
            "proximal_amplitude_mv", "distal_area_mvms", "proximal_area_mvms",
            "distal_duration_ms", "proximal_duration_ms", "velocity_m_s", "block",
        ]
        validators = []

    def get_block(self, segment: NerveSegment) -> str:
        """Block state under the default criteria (clinical-rules.md §4)."""
        criteria, limits = self.context["block_inputs"]()

        def number(value):
            return None if value is None else float(value)

        state = segment_block(
            SegmentIn(
                nerve=segment.nerve, side=segment.side, distal_site=segment.distal_site,
                proximal_site=segment.proximal_site,
                distal_amplitude_mv=number(segment.distal_amplitude_mv),
                proximal_amplitude_mv=number(segment.proximal_amplitude_mv),
                distal_area_mvms=number(segment.distal_area_mvms),
                proximal_area_mvms=number(segment.proximal_area_mvms),
                distal_duration_ms=number(segment.distal_duration_ms),
                proximal_duration_ms=number(segment.proximal_duration_ms),
                velocity_m_s=number(segment.velocity_m_s),
                lower_limit_amplitude_mv=limits.get(segment.nerve),
            ),
            criteria,
        )
        return str(state)


class NerveStudySerializer(VersionedSerializer):
    patient = ScopedPatientField()
    segments = NerveSegmentSerializer(many=True, required=False)

    class Meta:
        model = NerveStudy
        fields = ["id", "patient", "studied_on", "segments", "notes", "version"]
        validators = []
