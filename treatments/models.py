"""IVIg series and what they did: series, lots, adverse events, rule sets and stored outcomes."""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper

import catalogues as cat
from patients.models import Patient
from registry import jsoncodec
from registry.models import (
    Center,
    SignedRecord,
    VersionedModel,
    audited,
    choice_constraint,
    signature_constraint,
)
from registry.validators import not_read_as_missing
from treatments.rules.course import dose_bounds
from treatments.rules.types import BlockCriteria
from treatments.rules.types import RuleSet as RuleSetParameters

DOSE_MIN, DOSE_MAX = Decimal("0.1"), Decimal("3.0")  # iv; sc from 0.05 (§10)
SC_DOSE_MIN = Decimal("0.05")
DAYS_MIN, DAYS_MAX = 1, 7


class SeriesDeletionRefused(Exception):
    """A given series is a traceability record (EU Directive 2001/83/EC art. 102): never deleted."""


class SeriesQuerySet(models.QuerySet):
    def delete(self):
        raise SeriesDeletionRefused("IVIg series are never deleted; mark one as stopped instead.")


class Series(SignedRecord, VersionedModel):
    """One monthly IVIg treatment given over 1–7 consecutive days (clinical-rules.md §6);
    signed with its lots and adverse events (§11)."""

    # No index of its own: the (patient, number) and (patient, started_on) indexes below
    # lead with the patient and serve every look-up by patient. With a third, PostgreSQL
    # chose it for Table 1's series counts and read the table (133 ms at 100,000
    # patients) instead of the (patient, started_on) index alone (60 ms) — issue 19.
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="series",
                                db_index=False)
    number = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    started_on = models.DateField()
    days = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(DAYS_MIN), MaxValueValidator(DAYS_MAX)],
        help_text="Consecutive days of infusion (1–7).",
    )
    dose_g_per_kg = models.DecimalField(
        max_digits=3, decimal_places=2, default=Decimal("2.0"),
        validators=[MinValueValidator(SC_DOSE_MIN), MaxValueValidator(DOSE_MAX)],
        help_text="Dose of the whole series in g/kg (0.1–3.0 iv, 0.05–3.0 sc).",
    )
    weight_kg = models.DecimalField(
        max_digits=5, decimal_places=1,
        validators=[MinValueValidator(Decimal("1.0")), MaxValueValidator(Decimal("400.0"))],
    )
    product = models.CharField(max_length=200, validators=[not_read_as_missing])
    status = models.CharField(max_length=10, choices=cat.SERIES_STATUSES, default="given")
    stop_reason = models.CharField(max_length=300, blank=True)
    # clinical-rules.md §10: the course.
    route = models.CharField(max_length=2, choices=cat.ROUTES, default="iv")
    regimen = models.CharField(max_length=12, choices=cat.REGIMENS, default="maintenance")
    expected_interval_days = models.PositiveSmallIntegerField(
        default=28, blank=True, validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Days expected to the next series (empty: 28 iv, 7 sc).",
    )
    height_cm = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(Decimal("50.0")), MaxValueValidator(Decimal("250.0"))],
    )
    dose_basis = models.CharField(max_length=10, choices=cat.DOSE_BASES, default="actual")
    grams_given = models.DecimalField(
        max_digits=7, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.0"))],
        help_text="Grams actually given, when it differs from the prescription.",
    )
    # Dosing values are records (clinical-rules.md preamble): computed by the service when
    # the series is saved, with the rule-set version of that moment, stored beside them.
    dosing_weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True,
                                           editable=False)
    total_grams = models.DecimalField(max_digits=7, decimal_places=1, null=True,
                                      editable=False)
    prescribed_grams = models.DecimalField(max_digits=7, decimal_places=1, null=True,
                                           editable=False)
    dosing_rules_version = models.CharField(max_length=40, blank=True, editable=False)
    history = audited()

    objects = SeriesQuerySet.as_manager()

    class Meta:
        ordering = ["patient_id", "number"]
        verbose_name_plural = "series"
        indexes = [
            # Reports at national scale (bench/README.md): a cohort's first series and
            # number of series read from the index alone (Table 1), and the series
            # started in a period (the consumption report) without reading every series.
            models.Index(fields=["patient", "started_on"], name="series_patient_started_idx"),
            models.Index(fields=["started_on"], name="series_started_on_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "number"], name="series_number_unique_per_patient",
                violation_error_message="This patient already has a series with this number.",
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="series_number_positive"
            ),
            models.CheckConstraint(
                condition=Q(days__gte=DAYS_MIN, days__lte=DAYS_MAX), name="series_days_range",
                violation_error_message="A series lasts 1 to 7 days.",
            ),
            models.CheckConstraint(
                condition=(Q(route="sc", dose_g_per_kg__gte=SC_DOSE_MIN,
                             dose_g_per_kg__lte=DOSE_MAX)
                           | (~Q(route="sc") & Q(dose_g_per_kg__gte=DOSE_MIN,
                                                 dose_g_per_kg__lte=DOSE_MAX))),
                name="series_dose_range",
                violation_error_message=("The dose must be between 0.1 and 3.0 g/kg"
                                         " (0.05 and 3.0 for sc)."),
            ),
            choice_constraint("route", cat.ROUTES, "series_route_valid"),
            choice_constraint("regimen", cat.REGIMENS, "series_regimen_valid"),
            choice_constraint("dose_basis", cat.DOSE_BASES, "series_dose_basis_valid"),
            models.CheckConstraint(
                condition=Q(expected_interval_days__gte=1, expected_interval_days__lte=365),
                name="series_expected_interval_range",
            ),
            models.CheckConstraint(
                condition=Q(height_cm__isnull=True)
                | Q(height_cm__gte=50, height_cm__lte=250), name="series_height_range",
            ),
            models.CheckConstraint(
                condition=Q(grams_given__isnull=True) | Q(grams_given__gte=0),
                name="series_grams_given_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(dosing_weight_kg__isnull=True)
                | Q(dosing_weight_kg__lte=F("weight_kg")),
                name="series_dosing_weight_not_above_weight",
            ),
            models.CheckConstraint(
                condition=Q(weight_kg__gte=1, weight_kg__lte=400), name="series_weight_range"
            ),
            choice_constraint("status", cat.SERIES_STATUSES, "series_status_valid"),
            signature_constraint("series_signature_complete"),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} series {self.number}"

    def clean(self) -> None:
        # The dose bounds depend on the route (clinical-rules.md §10): said by the rules.
        if self.dose_g_per_kg is not None and self.route in cat.codes(cat.ROUTES):
            low, high = dose_bounds(self.route)
            if not low <= self.dose_g_per_kg <= high:
                raise ValidationError({"dose_g_per_kg": (
                    f"The dose of a {self.route} series must be between {low} and {high}"
                    " g/kg.")})

    def delete(self, *args, **kwargs):
        raise SeriesDeletionRefused("IVIg series are never deleted; mark one as stopped instead.")


class LotNumber(models.Model):
    """One lot (batch) used in a series; a dose uses many vials, often from several lots."""

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="lots")
    lot = models.CharField(max_length=64, db_index=True, validators=[not_read_as_missing])
    history = audited()

    class Meta:
        ordering = ["series_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "lot"], name="lot_unique_per_series"),
            models.CheckConstraint(condition=~Q(lot=""), name="lot_not_empty"),
        ]
        # "Which patients received lot X?" matches case-insensitively (UPPER(lot) = …):
        # without this index, a seq scan of every lot (160 ms at 10,000 patients).
        indexes = [models.Index(Upper("lot"), name="lot_upper_idx")]

    def __str__(self) -> str:
        return self.lot


class AdverseEvent(models.Model):
    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="adverse_events")
    kind = models.CharField(max_length=20, choices=cat.ADVERSE_EVENT_KINDS)
    severity = models.CharField(max_length=10, choices=cat.SEVERITIES)
    led_to_stop = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    history = audited()

    class Meta:
        ordering = ["series_id", "id"]
        constraints = [
            choice_constraint("kind", cat.ADVERSE_EVENT_KINDS, "adverse_event_kind_valid"),
            choice_constraint("severity", cat.SEVERITIES, "adverse_event_severity_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.severity})"


def _validate_parameters(parameters, dataclass_type) -> None:
    known = {f.name for f in dataclass_fields(dataclass_type)}
    if not isinstance(parameters, dict):
        raise ValidationError({"parameters": "Parameters must be a JSON object."})
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise ValidationError({"parameters": f"Unknown parameters: {', '.join(unknown)}."})
    try:
        dataclass_type(**parameters)
    except TypeError as error:
        raise ValidationError({"parameters": str(error)}) from error


class RuleSetImmutable(Exception):
    """A rule set that exists is never edited: a change is a new version (clinical-rules.md,
    preamble)."""


class RuleSet(models.Model):
    """A named, versioned set of rule thresholds (clinical-rules.md, preamble).

    Immutable: outcomes record the version they were computed with, so a changed rule is
    a new row (``treatments.services.rule_set_create``), never an edit that silently
    rewrites history. Which version applies is chosen per diagnosis (``DiagnosisRuleSet``).
    """

    version = models.SlugField(max_length=40, unique=True)
    description = models.TextField(blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = audited()

    class Meta:
        ordering = ["version"]

    def __str__(self) -> str:
        return self.version

    def save(self, *args, **kwargs):
        # The last guard of immutability, whichever path (admin, shell) tries an edit.
        if self.pk is not None and type(self).objects.filter(pk=self.pk).exists():
            raise RuleSetImmutable(
                f"Rule set {self.version} exists and is immutable: create a new version."
            )
        super().save(*args, **kwargs)

    def clean(self) -> None:
        _validate_parameters(self.parameters, RuleSetParameters)
        code = self.as_rules().block_criteria if isinstance(self.parameters, dict) else None
        if code and not BlockCriteriaSet.objects.filter(code=code).exists():
            raise ValidationError({"parameters": f"Unknown block criteria set {code!r}."})

    def as_rules(self) -> RuleSetParameters:
        # JSON gives the tuple parameters (§9's muscles, primary measures) back as lists.
        return RuleSetParameters(**{**_tuples(self.parameters), "version": self.version})


class DiagnosisRuleSet(models.Model):
    """The default rule set of one diagnosis (clinical-rules.md, preamble): changed only
    through ``treatments.services.rule_set_make_default``, which marks that diagnosis'
    outcomes stale in the same transaction."""

    diagnosis = models.CharField(max_length=20, choices=cat.DIAGNOSES, unique=True)
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="defaults")
    changed_at = models.DateTimeField(auto_now=True)
    history = audited()

    class Meta:
        ordering = ["diagnosis"]
        constraints = [choice_constraint("diagnosis", cat.DIAGNOSES, "default_diagnosis_valid")]

    def __str__(self) -> str:
        return f"{self.diagnosis} → {self.rule_set_id}"


def _tuples(value):
    """JSON stores the dataclass's tuples as lists; give them back as (nested) tuples."""
    if isinstance(value, dict):
        return {key: _tuples(item) for key, item in value.items()}
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    return value


class BlockCriteriaSet(models.Model):
    """A conduction-block criteria set (clinical-rules.md §4): thresholds as data.

    ``revision`` grows with every change of its parameters (``block_criteria_update``);
    which set applies by default is named by the rule set (``RuleSet.block_criteria``).
    """

    code = models.SlugField(max_length=40, unique=True)
    description = models.TextField(blank=True)
    parameters = models.JSONField(default=dict)
    revision = models.PositiveIntegerField(default=1, editable=False)
    history = audited()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(revision__gte=1), name="criteria_revision_positive")
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        _validate_parameters({**self.parameters, "code": self.code}, BlockCriteria)

    def as_criteria(self) -> BlockCriteria:
        return BlockCriteria(**{**_tuples(self.parameters), "code": self.code})


class NerveReference(models.Model):
    """Reference data: lower limit of normal of the distal CMAP amplitude, per nerve."""

    nerve = models.CharField(max_length=20, choices=cat.NERVES, unique=True)
    lower_limit_amplitude_mv = models.DecimalField(
        max_digits=5, decimal_places=2, validators=[MinValueValidator(0)]
    )
    source = models.CharField(max_length=200, blank=True)
    history = audited()

    class Meta:
        ordering = ["nerve"]

    def __str__(self) -> str:
        return f"{self.nerve} LLN {self.lower_limit_amplitude_mv} mV"


class TitreThreshold(models.Model):
    """The cut-off above which a titre is significantly high (clinical-rules.md §5).

    Assay-specific, so data; a row names a centre (that centre's laboratory) or none (all
    centres). Rows are never edited: a change is a new row with the next ``revision``,
    one global increasing number over all rows, and the row it replaces stops being
    ``current`` (``treatments.services.titre_threshold_write``). The current thresholds
    are thus the latest revision of each (centre, antigen, isotype, method, unit).
    """

    center = models.ForeignKey(
        Center, on_delete=models.PROTECT, null=True, blank=True, related_name="thresholds",
        help_text="The centre whose laboratory this cut-off is for; empty: all centres.",
    )
    antigen = models.CharField(max_length=20, choices=cat.ANTIGENS)
    isotype = models.CharField(max_length=3, choices=cat.ISOTYPES)
    method = models.CharField(max_length=20, choices=cat.TITRE_METHODS)
    unit = models.CharField(max_length=10, choices=cat.TITRE_UNITS)
    value = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    revision = models.PositiveIntegerField(unique=True, editable=False)
    current = models.BooleanField(default=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    source = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = audited()

    KEY = ("center", "antigen", "isotype", "method", "unit")

    class Meta:
        ordering = ["antigen", "isotype", "method", "unit", "center_id", "revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["center", "antigen", "isotype", "method", "unit"],
                condition=Q(current=True), nulls_distinct=False,
                name="threshold_one_current_per_assay_and_centre",
                violation_error_message="This assay already has a current threshold here.",
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="threshold_non_negative"),
            models.CheckConstraint(condition=Q(revision__gte=1),
                                   name="threshold_revision_positive"),
        ]

    def __str__(self) -> str:
        where = self.center_id and f" (centre {self.center_id})" or ""
        return f"{self.isotype} anti-{self.antigen} {self.method} ≥ {self.value} {self.unit}{where}"


class OutcomeQuerySet(models.QuerySet):
    def stale(self):
        return self.filter(computed_data_version__lt=F("data_version"))


class Outcome(models.Model):
    """The latest computed treatment outcome of a patient.

    ``data_version`` grows with every change to the patient's data, in the same
    transaction; a computation stores the ``data_version`` it read, and the outcome is
    stale while the two differ. An older computation never overwrites a newer one.
    """

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="outcome")
    data_version = models.PositiveBigIntegerField(default=1)
    computed_data_version = models.PositiveBigIntegerField(default=0)
    rules_version = models.CharField(max_length=40, blank=True)
    # What else the stored result was computed with (clinical-rules.md, preamble): the
    # global titre-threshold revision and the block criteria set's code.
    thresholds_revision = models.PositiveIntegerField(null=True, blank=True)
    criteria = models.CharField(max_length=40, blank=True, db_index=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=cat.OUTCOME_STATUSES, blank=True, db_index=True
    )
    # Read with orjson (``registry.jsoncodec``): an outcome answer decoded 12 kB with
    # ``json`` on every request.
    result = models.JSONField(default=dict, blank=True, decoder=jsoncodec.Decoder)
    # The keys of ``result`` the cohort reports read, copied at every store: a report over
    # 10,000 patients reads these few hundred bytes per patient instead of having
    # PostgreSQL decompress every whole result to extract them (bench/README.md).
    summary = models.JSONField(default=dict, blank=True, editable=False,
                               decoder=jsoncodec.Decoder)

    # What ``summary`` holds: Table 1's and Table 2's keys (treatments/reports.py).
    SUMMARY_KEYS = ("initial_response", "n_star", "final", "titres_before_ivig", "disability",
                    "titres_significant", "conduction_blocks", "measures",
                    # the schedule (§10): the overdue sweep and the worklist read these
                    "next_series_due", "overdue", "overdue_from")

    objects = OutcomeQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(computed_data_version__lte=F("data_version")),
                name="outcome_not_computed_ahead_of_data",
            )
        ]

    def __str__(self) -> str:
        return f"Outcome of {self.patient_id}"

    @property
    def stale(self) -> bool:
        return self.is_stale(computed_data_version=self.computed_data_version,
                             data_version=self.data_version)

    @staticmethod
    def is_stale(*, computed_data_version: int, data_version: int) -> bool:
        """``stale`` from the two columns (for readers that select columns, not rows)."""
        return computed_data_version < data_version

    @classmethod
    def summary_of(cls, result: dict) -> dict:
        return {key: result[key] for key in cls.SUMMARY_KEYS if key in result}


class TailoringEpisode(VersionedModel):
    """An attempt to lower the treatment: a dose reduction, an interval extension or a
    withdrawal (trial off), clinical-rules.md §10. Its result is computed by the rules and
    stored in the outcome, never here."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT,
                                related_name="tailoring_episodes")
    kind = models.CharField(max_length=20, choices=cat.TAILORING_KINDS)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    history = audited()

    class Meta:
        ordering = ["patient_id", "started_on", "id"]
        constraints = [
            choice_constraint("kind", cat.TAILORING_KINDS, "tailoring_kind_valid"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="tailoring_ends_after_start",
                violation_error_message="An episode cannot end before it started.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.started_on.isoformat()}"

    def clean(self) -> None:
        # Named by field (the constraint's message has none): a 400 naming ``ended_on``.
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            raise ValidationError({"ended_on": "An episode cannot end before it started."})
