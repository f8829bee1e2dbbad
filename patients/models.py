"""Who the patient is and what was measured: identity, consent, titres, visits, nerve studies."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

import catalogues as cat
from registry.models import (
    Center,
    SignedRecord,
    VersionedModel,
    audited,
    choice_constraint,
    range_constraint,
    signature_constraint,
)
from registry.validators import not_read_as_missing

MRC = [MinValueValidator(0), MaxValueValidator(5)]
SCORE_0_5 = [MinValueValidator(0), MaxValueValidator(5)]
NON_NEGATIVE = [MinValueValidator(0)]


def _range(low: int, high: int) -> list:
    return [MinValueValidator(low), MaxValueValidator(high)]


# The §9 scales recorded on a visit (clinical-rules.md §9): field → (low, high).
VISIT_MEASURE_RANGES: dict[str, tuple[int, int]] = {
    "incat_arm": (0, 5), "incat_leg": (0, 5), "irods_centile": (0, 100), "irods_raw": (0, 48),
    "grip_right_kpa": (0, 300), "grip_left_kpa": (0, 300), "onls_arm": (0, 5),
    "onls_leg": (0, 7),
}
VISIT_MEASURE_FIELDS = tuple(VISIT_MEASURE_RANGES)


def _all_in_range(ranges: dict[str, tuple[int, int]]) -> Q:
    condition = Q()
    for name, (low, high) in ranges.items():
        condition &= Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": low,
                                                              f"{name}__lte": high})
    return condition


class Patient(VersionedModel):
    """The pseudonymous patient: the registry ``code`` is the working identity."""

    code = models.CharField(
        max_length=32,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Z0-9][A-Z0-9-]*$",
                "Use capital letters, digits and dashes, e.g. MMN-001.",
            ),
            not_read_as_missing,
        ],
    )
    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="patients")
    sex = models.CharField(max_length=1, choices=cat.SEXES)
    birth_year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    diagnosis = models.CharField(max_length=20, choices=cat.DIAGNOSES)
    onset_year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    neuropathy_pattern = models.CharField(
        max_length=20, choices=cat.NEUROPATHY_PATTERNS, null=True, blank=True
    )
    notes = models.TextField(blank=True)
    primary_measure = models.CharField(
        max_length=20, choices=cat.MEASURES, null=True, blank=True,
        help_text="Pinned primary measure (clinical-rules.md §9); empty: the rule set's "
                  "for the diagnosis.",
    )
    history = audited()

    class Meta:
        ordering = ["code"]
        constraints = [
            choice_constraint("sex", cat.SEXES, "patient_sex_valid"),
            choice_constraint("diagnosis", cat.DIAGNOSES, "patient_diagnosis_valid"),
            choice_constraint(
                "neuropathy_pattern", cat.NEUROPATHY_PATTERNS, "patient_pattern_valid",
                nullable=True,
            ),
            range_constraint("birth_year", 1900, 2100, "patient_birth_year_range"),
            range_constraint("onset_year", 1900, 2100, "patient_onset_year_range"),
            choice_constraint("primary_measure", cat.MEASURES, "patient_primary_measure_valid",
                              nullable=True),
            models.CheckConstraint(
                condition=Q(onset_year__isnull=True) | Q(onset_year__gte=models.F("birth_year")),
                name="patient_onset_after_birth",
                violation_error_message="Onset year cannot be before the birth year.",
            ),
        ]
        indexes = [models.Index(fields=["center", "diagnosis"])]

    def __str__(self) -> str:
        return self.code


class CentrePatientCount(models.Model):
    """Changes to how many patients a centre holds, written by PostgreSQL itself:
    statement-level triggers on the patient table add a row for what an ``INSERT`` or
    ``COPY`` wrote and one for what a ``DELETE`` removed, and a row trigger two for a
    patient whose centre changes (migration ``patients/0009``), in the writing
    transaction. A centre's patients are the sum of its rows. Rows are only ever added, so
    a transaction that writes patients (a 1,000-patient import, all-or-nothing) never
    makes another wait; ``patients.services.patient_counts_compact`` (hourly) folds each
    centre's committed rows into one. The patient list reads its unfiltered count from
    here instead of counting the patients on every page (issue 19). Derived, never written
    by the application otherwise; empty on SQLite, where the list counts its rows."""

    center = models.ForeignKey(Center, on_delete=models.CASCADE, db_constraint=False,
                               related_name="+")
    patients = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.patients:+} patients in centre {self.center_id}"


class Identity(models.Model):
    """Direct identifiers, kept apart so that they can be withheld (researchers never see them)."""

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="identity")
    name = models.CharField(max_length=200, blank=True, validators=[not_read_as_missing])
    date_of_birth = models.DateField(null=True, blank=True)
    hospital_number = models.CharField(max_length=64, blank=True,
                                       validators=[not_read_as_missing])
    history = audited()

    class Meta:
        verbose_name_plural = "identities"

    def __str__(self) -> str:
        return f"Identity of {self.patient_id}"


class Consent(models.Model):
    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="consent")
    given_on = models.DateField(null=True, blank=True)
    version = models.CharField(max_length=32, blank=True, validators=[not_read_as_missing])
    withdrawn_on = models.DateField(null=True, blank=True)
    history = audited()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True)
                | Q(given_on__isnull=True)
                | Q(withdrawn_on__gte=models.F("given_on")),
                name="consent_withdrawn_after_given",
                violation_error_message="Consent cannot be withdrawn before it was given.",
            )
        ]

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_on is not None


class AffectedNerve(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="affected_nerves")
    side = models.CharField(max_length=1, choices=cat.SIDES)
    nerve = models.CharField(max_length=20, choices=cat.NERVES)
    history = audited()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "side", "nerve"], name="affected_nerve_unique"
            ),
            choice_constraint("side", cat.SIDES, "affected_nerve_side_valid"),
            choice_constraint("nerve", cat.NERVES, "affected_nerve_nerve_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.side} {self.nerve}"


class PinnedTargetMuscle(models.Model):
    """Target muscles pinned by the clinician (otherwise computed, clinical-rules.md §2)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="target_muscles")
    muscle = models.CharField(max_length=40, choices=cat.MUSCLES)
    side = models.CharField(max_length=1, choices=cat.SIDES)
    history = audited()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "muscle", "side"], name="target_muscle_unique"
            ),
            choice_constraint("muscle", cat.MUSCLES, "target_muscle_muscle_valid"),
            choice_constraint("side", cat.SIDES, "target_muscle_side_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.muscle} {self.side}"


class Titre(VersionedModel):
    """An antibody titre (clinical-rules.md §5); significance is computed, never stored by hand."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="titres")
    sampled_on = models.DateField()
    antigen = models.CharField(max_length=20, choices=cat.ANTIGENS)
    isotype = models.CharField(max_length=3, choices=cat.ISOTYPES)
    method = models.CharField(max_length=20, choices=cat.TITRE_METHODS)
    value = models.DecimalField(max_digits=12, decimal_places=2, validators=NON_NEGATIVE)
    unit = models.CharField(max_length=10, choices=cat.TITRE_UNITS, default="dilution")
    history = audited()

    class Meta:
        ordering = ["patient_id", "sampled_on", "id"]
        constraints = [
            choice_constraint("antigen", cat.ANTIGENS, "titre_antigen_valid"),
            choice_constraint("isotype", cat.ISOTYPES, "titre_isotype_valid"),
            choice_constraint("method", cat.TITRE_METHODS, "titre_method_valid"),
            choice_constraint("unit", cat.TITRE_UNITS, "titre_unit_valid"),
            models.CheckConstraint(condition=Q(value__gte=0), name="titre_value_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.isotype} anti-{self.antigen} {self.value} {self.unit}"


class Paraprotein(VersionedModel):
    """A monoclonal protein measurement."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="paraproteins")
    measured_on = models.DateField()
    isotype = models.CharField(max_length=3, choices=cat.ISOTYPES)
    light_chain = models.CharField(max_length=6, choices=cat.LIGHT_CHAINS, null=True, blank=True)
    serum_level_g_l = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(200)],
    )
    history = audited()

    class Meta:
        ordering = ["patient_id", "measured_on", "id"]
        constraints = [
            choice_constraint("isotype", cat.ISOTYPES, "paraprotein_isotype_valid"),
            choice_constraint(
                "light_chain", cat.LIGHT_CHAINS, "paraprotein_light_chain_valid", nullable=True
            ),
            range_constraint("serum_level_g_l", 0, 200, "paraprotein_level_range"),
        ]

    def __str__(self) -> str:
        return f"{self.isotype} {self.light_chain or ''} {self.serum_level_g_l or ''} g/l"


class PriorTreatment(VersionedModel):
    """A treatment received before IVIg (Table 2 "Treatments before IVIg")."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="prior_treatments")
    kind = models.CharField(max_length=20, choices=cat.PRIOR_TREATMENTS)
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    history = audited()

    class Meta:
        ordering = ["patient_id", "started_on", "id"]
        constraints = [
            choice_constraint("kind", cat.PRIOR_TREATMENTS, "prior_treatment_kind_valid"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(ended_on__gte=models.F("started_on")),
                name="prior_treatment_ends_after_start",
                violation_error_message="A treatment cannot end before it started.",
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


VISIT_REPEATED = "visit_repeated"


class Visit(SignedRecord, VersionedModel):
    """One examination of the patient (clinical-rules.md §1); signed with its MRC grid (§11)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="visits")
    visited_on = models.DateField()
    kind = models.CharField(max_length=20, choices=cat.VISIT_KINDS)
    series = models.ForeignKey(
        "treatments.Series", on_delete=models.PROTECT, null=True, blank=True,
        related_name="visits",
        help_text="The series a pre_series or post_series visit belongs to.",
    )
    examiner = models.CharField(max_length=200, blank=True, validators=[not_read_as_missing])
    functional_score = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=SCORE_0_5
    )
    prineas_score = models.PositiveSmallIntegerField(null=True, blank=True, validators=SCORE_0_5)
    # §9 scales (clinical-rules.md §9); ranges in VISIT_MEASURE_RANGES, checked below too.
    incat_arm = models.PositiveSmallIntegerField(null=True, blank=True, validators=_range(0, 5))
    incat_leg = models.PositiveSmallIntegerField(null=True, blank=True, validators=_range(0, 5))
    irods_centile = models.PositiveSmallIntegerField(null=True, blank=True,
                                                     validators=_range(0, 100))
    irods_raw = models.PositiveSmallIntegerField(null=True, blank=True, validators=_range(0, 48))
    grip_right_kpa = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True,
                                         validators=_range(0, 300))
    grip_left_kpa = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True,
                                        validators=_range(0, 300))
    onls_arm = models.PositiveSmallIntegerField(null=True, blank=True, validators=_range(0, 5))
    onls_leg = models.PositiveSmallIntegerField(null=True, blank=True, validators=_range(0, 7))
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", editable=False,
    )
    history = audited()

    class Meta:
        ordering = ["patient_id", "visited_on", "id"]
        constraints = [
            # The exchange format joins and imports visits on this triple (docs/exchange.md).
            models.UniqueConstraint(
                fields=["patient", "visited_on", "kind"], name="visit_unique_patient_date_kind",
                violation_error_code=VISIT_REPEATED,
                violation_error_message="This patient already has a visit of this kind on "
                                        "this date.",
            ),
            choice_constraint("kind", cat.VISIT_KINDS, "visit_kind_valid"),
            range_constraint("functional_score", 0, 5, "visit_functional_score_range"),
            range_constraint("prineas_score", 0, 5, "visit_prineas_score_range"),
            # One CHECK for the eight §9 scales (the field validators name the field
            # first; each CHECK validated costs a query on every save).
            models.CheckConstraint(
                condition=_all_in_range(VISIT_MEASURE_RANGES), name="visit_measures_range",
                violation_error_message="A §9 measure is outside its range.",
            ),
            signature_constraint("visit_signature_complete"),
            models.CheckConstraint(
                condition=Q(kind__in=("pre_series", "post_series"), series__isnull=False)
                | Q(kind__in=("baseline", "follow_up", "final"), series__isnull=True),
                name="visit_series_link_matches_kind",
                violation_error_message=(
                    "A pre_series or post_series visit must name its series; "
                    "other visits name none."
                ),
            ),
        ]
        indexes = [models.Index(fields=["patient", "visited_on"])]

    def __str__(self) -> str:
        return f"{self.patient_id} {self.kind} {self.visited_on}"

    def validate_constraints(self, exclude=None):
        """As Django's, but a repeated (patient, date, kind) is reported beside the date,
        the field the user corrects, on every surface (forms, admin, API, import)."""
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            errors = dict(error.error_dict)
            general = errors.pop(NON_FIELD_ERRORS, [])
            repeated = [e for e in general if e.code == VISIT_REPEATED]
            if rest := [e for e in general if e.code != VISIT_REPEATED]:
                errors[NON_FIELD_ERRORS] = rest
            if repeated:
                errors.setdefault("visited_on", []).append(
                    ValidationError(self.repeated_message(), code=VISIT_REPEATED))
            raise ValidationError(errors) from error

    def repeated_message(self) -> str:
        kind = dict(cat.VISIT_KINDS).get(self.kind, self.kind)
        return (f"{self.patient.code} already has a visit of kind \u201c{kind}\u201d on "
                f"{self.visited_on}: edit that visit, or give another date or kind.")


class MrcGrade(models.Model):
    """The MRC grade (0–5) of one muscle on one side at one visit."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="mrc")
    muscle = models.CharField(max_length=40, choices=cat.MUSCLES)
    side = models.CharField(max_length=1, choices=cat.SIDES)
    grade = models.PositiveSmallIntegerField(validators=MRC)
    history = audited()

    class Meta:
        ordering = ["visit_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "muscle", "side"], name="mrc_unique_per_visit"
            ),
            choice_constraint("muscle", cat.MUSCLES, "mrc_muscle_valid"),
            choice_constraint("side", cat.SIDES, "mrc_side_valid"),
            models.CheckConstraint(
                condition=Q(grade__gte=0, grade__lte=5), name="mrc_grade_range",
                violation_error_message="An MRC grade is between 0 and 5.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.muscle} {self.side}: {self.grade}"


class NerveStudy(VersionedModel):
    """A nerve-conduction study, with one row per stimulated segment."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="nerve_studies")
    studied_on = models.DateField()
    notes = models.TextField(blank=True)
    history = audited()

    class Meta:
        ordering = ["patient_id", "studied_on", "id"]
        verbose_name_plural = "nerve studies"

    def __str__(self) -> str:
        return f"{self.patient_id} study {self.studied_on}"


SEGMENT_VALUE_FIELDS = (
    "distal_amplitude_mv", "proximal_amplitude_mv", "distal_area_mvms",
    "proximal_area_mvms", "distal_duration_ms", "proximal_duration_ms", "velocity_m_s",
)


class NerveSegment(models.Model):
    """Distal and proximal CMAP values of one segment (clinical-rules.md §4)."""

    study = models.ForeignKey(NerveStudy, on_delete=models.CASCADE, related_name="segments")
    nerve = models.CharField(max_length=20, choices=cat.NERVES)
    side = models.CharField(max_length=1, choices=cat.SIDES)
    distal_site = models.CharField(max_length=60, blank=True, validators=[not_read_as_missing])
    proximal_site = models.CharField(max_length=60, blank=True,
                                     validators=[not_read_as_missing])
    distal_amplitude_mv = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True, validators=NON_NEGATIVE)
    proximal_amplitude_mv = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True, validators=NON_NEGATIVE)
    distal_area_mvms = models.DecimalField(
        max_digits=7, decimal_places=2, null=True, blank=True, validators=NON_NEGATIVE)
    proximal_area_mvms = models.DecimalField(
        max_digits=7, decimal_places=2, null=True, blank=True, validators=NON_NEGATIVE)
    distal_duration_ms = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True, validators=NON_NEGATIVE)
    proximal_duration_ms = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True, validators=NON_NEGATIVE)
    velocity_m_s = models.DecimalField(
        max_digits=6, decimal_places=1, null=True, blank=True, validators=NON_NEGATIVE)
    history = audited()

    class Meta:
        ordering = ["study_id", "id"]
        constraints = [
            choice_constraint("nerve", cat.NERVES, "segment_nerve_valid"),
            choice_constraint("side", cat.SIDES, "segment_side_valid"),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__gte": 0}),
                    name=f"segment_{name}_non_negative",
                )
                for name in SEGMENT_VALUE_FIELDS
            ],
        ]

    def __str__(self) -> str:
        return f"{self.side} {self.nerve} {self.distal_site}–{self.proximal_site}"
