"""Serializers of the patients domain: shape and type checks only; services do the writing."""

from __future__ import annotations

from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalogues import CONSENT_STATES, Measure
from patients.api.fields import ScopedPatientField
from patients.consent import consent_state_of
from patients.models import (
    VISIT_MEASURE_FIELDS,
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
from registry.api.serializers import RegistrySerializer, VersionedSerializer
from registry.models import Center
from registry.scoping import can_see_identifiers, scope_by_patient, scope_centers
from treatments.api.outcome import BLOCK_STATES, OutcomeScores, one_of
from treatments.models import Series
from treatments.selectors import outcome_visit_rows, outcome_visit_scores

if TYPE_CHECKING:  # the validator type exists only in the stubs
    from rest_framework.validators import Validator


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
        validators: list[Validator[Any]] = []
        list_serializer_class = NestedRows


class TargetMuscleSerializer(RegistrySerializer):
    class Meta:
        model = PinnedTargetMuscle
        fields = ["muscle", "side"]
        validators: list[Validator[Any]] = []
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
    consent_state = serializers.SerializerMethodField(
        help_text="given, withdrawn or not_recorded: the latest of given_on and withdrawn_on "
                  "that is not in the future (clinical-rules.md §8).")
    identity = IdentitySerializer(required=False, allow_null=True)
    primary_measure = serializers.ChoiceField(
        choices=[m.value for m in Measure], allow_null=True, required=False,
        help_text="A clinical-rules.md §9 measure pinned as the primary one; null: the rule "
                  "set's for the diagnosis.")

    class Meta:
        model = Patient
        fields = [
            "id", "code", "center", "sex", "birth_year", "diagnosis", "onset_year",
            "neuropathy_pattern", "primary_measure", "affected_nerves", "target_muscles",
            "consent", "consent_state", "identity", "notes", "version", "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        # The view says whether identity may be shown; schema generation keeps the field.
        if self.context.get("with_identity", True) is False:
            fields.pop("identity")
        return fields

    def to_representation(self, instance):
        """The fields of ``Meta.fields`` built directly: a page of 50 patients spent half
        its time in DRF's generic field-by-field path (bench/README.md). The generic path
        (``generic_representation``) stays the reference: a test holds the two equal."""
        data = {
            "id": instance.pk, "code": instance.code, "center": instance.center_id,
            "sex": instance.sex, "birth_year": instance.birth_year,
            "diagnosis": instance.diagnosis, "onset_year": instance.onset_year,
            "neuropathy_pattern": instance.neuropathy_pattern,
            "primary_measure": instance.primary_measure,
            "affected_nerves": _nested(instance, "affected_nerves", ("side", "nerve")),
            "target_muscles": _nested(instance, "target_muscles", ("muscle", "side")),
            "consent": _one_to_one(instance, "consent", ("given_on", "version", "withdrawn_on")),
            "consent_state": self.get_consent_state(instance),
        }
        # as get_fields(): the view says whether identity may be shown at all
        if self.context.get("with_identity", True) and self._shows_identity(instance):
            data["identity"] = _one_to_one(instance, "identity",
                                           ("name", "date_of_birth", "hospital_number"))
        data["notes"] = instance.notes
        data["version"] = instance.version
        data["created_at"] = _datetime(instance.created_at, self._timezone)
        data["updated_at"] = _datetime(instance.updated_at, self._timezone)
        return data

    @extend_schema_field(serializers.ChoiceField(choices=CONSENT_STATES))
    def get_consent_state(self, instance) -> str:
        return consent_state_of(instance, today=self._today).value

    @cached_property
    def _today(self) -> date:
        return timezone.localdate()

    @cached_property
    def _timezone(self):
        """Looked up once per answer, not twice per row: the look-up goes through
        asgiref's context-local storage, a tenth of a page's time (bench/README.md)."""
        return timezone.get_current_timezone()

    def generic_representation(self, instance):
        data = super().to_representation(instance)
        if "identity" in data and not self._shows_identity(instance):
            del data["identity"]
        return data

    def _shows_identity(self, instance) -> bool:
        request = self.context.get("request")
        return bool(request and can_see_identifiers(request.user, instance.center_id))


class PatientListItemSerializer(PatientSerializer):
    """A patient as ``patients/`` lists it: never ``identity``, whoever asks (so the schema's
    list item does not document it either)."""

    def get_fields(self):
        fields = super().get_fields()
        fields.pop("identity", None)
        return fields

    def _shows_identity(self, instance) -> bool:
        return False


def _nested(instance, name: str, keys: tuple[str, str]) -> list[dict]:
    rows = getattr(instance, f"{name}_rows", None)  # patients.selectors.attach_nested_rows
    if rows is not None:
        return list(rows)
    return [{key: getattr(row, key) for key in keys} for row in getattr(instance, name).all()]


def _one_to_one(instance, name: str, keys: tuple[str, ...]) -> dict | None:
    try:
        related = getattr(instance, name)
    except ObjectDoesNotExist:
        return None
    return {key: _plain(getattr(related, key)) for key in keys}


def _datetime(value: datetime | None, zone) -> str | None:
    """As DRF's DateTimeField writes it: ISO 8601 in the current time zone, UTC as Z."""
    if value is None:
        return None
    text = timezone.localtime(value, zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


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
        validators: list[Validator[Any]] = []

    def get_significant(self, titre: Titre) -> bool | None:
        return self.context["titre_significance"](titre, titre.patient.center_id)


class ParaproteinSerializer(VersionedSerializer):
    patient = ScopedPatientField()

    class Meta:
        model = Paraprotein
        fields = ["id", "patient", "measured_on", "isotype", "light_chain", "serum_level_g_l",
                  "version"]
        validators: list[Validator[Any]] = []


class PriorTreatmentSerializer(VersionedSerializer):
    patient = ScopedPatientField()

    class Meta:
        model = PriorTreatment
        fields = ["id", "patient", "kind", "started_on", "ended_on", "notes", "version"]
        validators: list[Validator[Any]] = []


class MrcGradeSerializer(RegistrySerializer):
    class Meta:
        model = MrcGrade
        fields = ["muscle", "side", "grade"]
        validators: list[Validator[Any]] = []


class ScopedSeriesField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return Series.objects.none()
        return scope_by_patient(Series.objects.all(), request.user)


class VisitSerializer(VersionedSerializer):
    """``score`` is the target-muscle sum the stored outcome gives this visit (or null);
    ``scores`` and ``primary_score`` are the stored outcome's §9 values likewise (null for
    every measure until the recompute has seen the visit)."""

    patient = ScopedPatientField()
    series = ScopedSeriesField(allow_null=True, required=False)
    mrc = MrcGradeSerializer(many=True, required=False)
    score = serializers.SerializerMethodField()
    scores = serializers.SerializerMethodField(
        help_text="{measure code: value or null} for every clinical-rules.md §9 measure")
    primary_score = serializers.SerializerMethodField(
        help_text="the value of the patient's primary measure (§9)")
    signed_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True,
        help_text="Who signed the visit (clinical-rules.md §11), or null: while signed it is "
                  "read-only (writes answer 423).")
    signed_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Visit
        fields = [
            "id", "patient", "visited_on", "kind", "series", "examiner", "mrc",
            "functional_score", "prineas_score", *VISIT_MEASURE_FIELDS, "notes", "score",
            "scores", "primary_score", "signed_by", "signed_at", "version",
        ]
        validators: list[Validator[Any]] = []

    def get_score(self, visit: Visit) -> int | None:
        outcome = getattr(visit.patient, "outcome", None)
        if outcome is None:
            return None
        return outcome_visit_scores(outcome.result).get(visit.pk)

    def _outcome_row(self, visit: Visit) -> dict:
        outcome = getattr(visit.patient, "outcome", None)
        return outcome_visit_rows(outcome.result if outcome else None).get(visit.pk, {})

    @extend_schema_field(OutcomeScores)
    def get_scores(self, visit: Visit) -> dict[str, float | int | None]:
        stored = self._outcome_row(visit).get("scores") or {}
        return {measure.value: stored.get(measure.value) for measure in Measure}

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_primary_score(self, visit: Visit) -> float | int | None:
        return self._outcome_row(visit).get("primary_score")


class NerveSegmentSerializer(RegistrySerializer):
    block = serializers.SerializerMethodField()

    class Meta:
        model = NerveSegment
        fields = [
            "nerve", "side", "distal_site", "proximal_site", "distal_amplitude_mv",
            "proximal_amplitude_mv", "distal_area_mvms", "proximal_area_mvms",
            "distal_duration_ms", "proximal_duration_ms", "velocity_m_s", "block",
        ]
        validators: list[Validator[Any]] = []

    @extend_schema_field(one_of(BLOCK_STATES))
    def get_block(self, segment: NerveSegment) -> str:
        """Block state under ``?criteria=`` or, without it, the criteria set of the
        patient's rule set (clinical-rules.md §4)."""
        return str(self.context["segment_block"](segment, segment.study.patient.diagnosis))


class NerveStudySerializer(VersionedSerializer):
    patient = ScopedPatientField()
    segments = NerveSegmentSerializer(many=True, required=False)

    class Meta:
        model = NerveStudy
        fields = ["id", "patient", "studied_on", "segments", "notes", "version"]
        validators: list[Validator[Any]] = []
