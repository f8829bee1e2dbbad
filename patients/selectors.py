"""Reads of the patients domain."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import CharField, Value

from patients.models import AffectedNerve, Patient, PinnedTargetMuscle

# A patient's short nested lists as the API shows them: name → (model, its two fields).
NESTED_ROWS = {
    "affected_nerves": (AffectedNerve, ("side", "nerve")),
    "target_muscles": (PinnedTargetMuscle, ("muscle", "side")),
}


def attach_nested_rows(patients: Iterable[Patient]) -> None:
    """Give each patient its affected nerves and pinned target muscles as ``<name>_rows``:
    lists of dicts shaped as the API shows them, read in one query for all the patients.

    Plain rows, not ``prefetch_related``: a model instance per element, a queryset per
    patient and a query per list were a third of a patient page's time (bench/README.md).
    """
    by_id = {patient.pk: patient for patient in patients}
    if not by_id:
        return
    lists = [
        model.objects.filter(patient_id__in=by_id)
        .values_list("patient_id", Value(name, output_field=CharField()), *fields, "id")
        for name, (model, fields) in NESTED_ROWS.items()
    ]
    rows = {(pk, name): [] for pk in by_id for name in NESTED_ROWS}
    for patient_id, name, first, second, _ in lists[0].union(*lists[1:], all=True).order_by(
        "id"
    ):
        fields = NESTED_ROWS[name][1]
        rows[(patient_id, name)].append({fields[0]: first, fields[1]: second})
    for (pk, name), values in rows.items():
        setattr(by_id[pk], f"{name}_rows", values)
