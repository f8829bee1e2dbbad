"""Helpers of the exchange tests."""

from __future__ import annotations

import csv
import io
import zipfile
from contextlib import contextmanager

from exchange import services
from exchange.models import Source


def export_rows(user, dataset: str, **options) -> list[dict[str, str]]:
    """One dataset exported as CSV through the service, read back as R's read.csv would."""
    job = services.export_start(user=user, source=Source.COMMAND, datasets=[dataset],
                                format="csv", **options)
    return read_csv(b"".join(services.export_csv(job)))


def read_csv(data: bytes | str) -> list[dict[str, str]]:
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return list(csv.DictReader(io.StringIO(text)))


def zip_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def csv_file(header: list[str], *rows: list) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


@contextmanager
def broker_down():
    """Point this process's Celery producer at a port where no broker listens.

    The app's configuration is namespaced (``CELERY_…``): its keys must be set under those
    names, or the producer keeps the old broker. They are taken out again afterwards (not
    set back), so that later un-namespaced changes (``conf.task_always_eager = …``) win
    again as they did before.
    """
    from registry.celery import app

    keys = ("CELERY_BROKER_URL", "CELERY_BROKER_WRITE_URL", "CELERY_TASK_ALWAYS_EAGER")
    saved = {key: app.conf.changes[key] for key in keys if key in app.conf.changes}
    app.conf.update(CELERY_BROKER_URL=UNREACHABLE_BROKER,
                    CELERY_BROKER_WRITE_URL=UNREACHABLE_BROKER, CELERY_TASK_ALWAYS_EAGER=False)
    app._pool = app.amqp._producer_pool = None
    try:
        yield
    finally:
        for key in keys:
            app.conf.changes.pop(key, None)
        app.conf.changes.update(saved)
        app._pool = app.amqp._producer_pool = None


def every_kind_of_record(center) -> None:
    """A patient of ``center`` with a record of every kind the exchange format carries, each
    column filled where it can be: identity and consent, affected nerves and pinned target
    muscles, titres (one with no threshold: ``significant`` empty), a paraprotein, a prior
    treatment, series with lots and adverse events (one that led to stopping), visits of
    every kind with MRC grids, nerve studies with named segments, tailoring episodes (one
    relapse). Written through the
    services, as users write."""
    from datetime import date, timedelta
    from decimal import Decimal

    from patients import services as patient_services
    from registry.tests.factories import clinical_history, mrc_grid
    from treatments.services import series_give, tailoring_record

    patient = patient_services.patient_create(
        center=center,
        data={"code": "MMN-ALL", "sex": "F", "birth_year": 1950, "diagnosis": "mmn",
              "onset_year": 1990, "neuropathy_pattern": "demyelinating",
              "primary_measure": "mrc_targets",
              "notes": "Every kind of record, \"quoted\", with a comma."},
        affected_nerves=[{"side": "R", "nerve": "median"}, {"side": "L", "nerve": "ulnar"}],
        target_muscles=[{"muscle": "deltoid", "side": "R"}, {"muscle": "biceps", "side": "R"}],
        identity={"name": "Ann Example", "date_of_birth": date(1950, 3, 4),
                  "hospital_number": "H-0001"},
        consent={"given_on": date(1993, 1, 4), "version": "v2"},
    )
    clinical_history(patient, 2)  # baseline, 2 series with lots, visits, titres, studies …
    start = date(1994, 1, 10)
    third = series_give(patient=patient, data={
        "started_on": start + timedelta(days=56), "days": 3, "dose_g_per_kg": Decimal("1.2"),
        "weight_kg": Decimal("68.5"), "product": "Gammagard", "status": "stopped",
        "stop_reason": "Aseptic meningitis on day 3."}, lot_numbers=["LOT-7"],
        adverse_events=[{"kind": "meningitis", "severity": "severe", "led_to_stop": True,
                         "notes": "Admitted overnight."}])
    # An SCIg administration with every course field (clinical-rules.md §10).
    series_give(patient=patient, data={
        "started_on": start + timedelta(days=84), "days": 1, "dose_g_per_kg": Decimal("0.20"),
        "weight_kg": Decimal("80.0"), "height_cm": Decimal("170.5"), "dose_basis": "adjusted",
        "route": "sc", "regimen": "maintenance", "expected_interval_days": 14,
        "grams_given": Decimal("12.5"), "product": "Hizentra"}, lot_numbers=["SC-1"])
    patient_services.visit_record(patient=patient, data={
        "visited_on": start + timedelta(days=56), "kind": "pre_series", "series": third,
        "examiner": "Dr A. Example", "functional_score": 3, "prineas_score": 2,
        "notes": "Before the third series."}, mrc=mrc_grid(3))
    patient_services.visit_record(patient=patient, data={
        "visited_on": start + timedelta(days=120), "kind": "follow_up",
        "examiner": "Dr B", "functional_score": 2}, mrc=mrc_grid(4))
    patient_services.visit_record(patient=patient, data={
        "visited_on": start + timedelta(days=365), "kind": "final", "examiner": "Dr B",
        "functional_score": 1, "prineas_score": 1, "notes": "Final evaluation.",
        "incat_arm": 1, "incat_leg": 2, "irods_centile": 62, "irods_raw": 30,
        "grip_right_kpa": Decimal("71.5"), "grip_left_kpa": Decimal("64.0"), "onls_arm": 1,
        "onls_leg": 2},
        mrc=mrc_grid(5))
    patient_services.titre_record(patient=patient, data={
        "sampled_on": start, "antigen": "gq1b", "isotype": "IgG", "method": "western_blot",
        "value": Decimal("0"), "unit": "dilution"})
    patient_services.prior_treatment_record(patient=patient, data={
        "kind": "plasma_exchange", "started_on": date(1992, 5, 1),
        "ended_on": date(1992, 6, 1), "notes": "Five exchanges."})
    # Tailoring episodes (§10): a dose reduction after series 2's post visit (grade 4), the
    # trough before series 3 (grade 3) a relapse; a trial off after the final evaluation.
    tailoring_record(patient=patient, data={
        "kind": "dose_reduction", "started_on": start + timedelta(days=42),
        "ended_on": start + timedelta(days=100), "notes": "1.6 g/kg."})
    tailoring_record(patient=patient, data={"kind": "withdrawal",
                                            "started_on": start + timedelta(days=365)})
    patient_services.nerve_study_record(patient=patient, data={
        "studied_on": start + timedelta(days=300), "notes": "Follow-up study."}, segments=[{
            "nerve": "ulnar", "side": "L", "distal_site": "wrist", "proximal_site": "elbow",
            "distal_amplitude_mv": Decimal("5.8"), "proximal_amplitude_mv": Decimal("1.8"),
            "distal_area_mvms": Decimal("17.5"), "proximal_area_mvms": Decimal("5.2"),
            "distal_duration_ms": Decimal("5.6"), "proximal_duration_ms": Decimal("6.1"),
            "velocity_m_s": Decimal("52.5")}])
