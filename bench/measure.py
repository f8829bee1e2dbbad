"""In-process steps of bench/run, each run in its own process with the registry's settings.

``python -m bench.measure setup DIR`` makes the benchmark user and the request files;
``recompute``, ``table1``, ``reports``, ``lot`` time the registry's own code paths. Each
prints one JSON object on its last line of output.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import django

POSTS = 20_000  # visit POSTs written for the runs of a bench (never two alike)


def _timed(function: Callable[[], Any], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def setup(directory: Path, *, pages: int, seed: int) -> dict[str, Any]:
    """A clinician of every synthetic centre, a token, and one request file per endpoint."""
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    from patients.models import Patient
    from patients.synthetic import MUSCLE_SIDES
    from registry.models import Center, Membership, Role

    user, _ = User.objects.get_or_create(username="bench-clinician")
    for center in Center.objects.filter(code__startswith="syn-"):
        Membership.objects.get_or_create(user=user, center=center,
                                         defaults={"role": Role.CLINICIAN})
    token, _ = Token.objects.get_or_create(user=user)
    rng = random.Random(seed)
    ids = list(Patient.objects.filter(code__startswith="SYN-").values_list("pk", flat=True))
    sample = rng.sample(ids, min(len(ids), 5000))
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "patient_list": [f"GET /api/v1/patients/?page={rng.randint(1, pages)}"
                         for _ in range(1000)],
        "patient_detail": [f"GET /api/v1/patients/{pk}/" for pk in sample],
        "patient_outcome": [f"GET /api/v1/patients/{pk}/outcome/" for pk in sample],
        "table1": ["GET /api/v1/reports/table1/"],
    }
    # A patient has one visit of a kind a day: every POST is a new (patient, day), each
    # pass over the sample in its own 30-day window of 2024 (load.lua hands each wrk run
    # its own slice of the file, so no run repeats another's requests).
    posts = []
    for number in range(min(POSTS, 12 * len(sample))):
        pk = sample[number % len(sample)]
        day = date(2024, 1, 1) + timedelta(days=30 * (number // len(sample)) % 360
                                           + rng.randint(0, 29))
        grid = [{"muscle": m, "side": s, "grade": rng.randint(0, 5)}
                for m, s in rng.sample(MUSCLE_SIDES, 12)]
        body = {"patient": pk, "kind": "follow_up", "visited_on": day.isoformat(),
                "functional_score": rng.randint(0, 5), "prineas_score": rng.randint(0, 5),
                "mrc": grid}
        posts.append("POST /api/v1/visits/ " + json.dumps(body, separators=(",", ":")))
    files["visit_post"] = posts
    for name, lines in files.items():
        (directory / f"{name}.txt").write_text("\n".join(lines) + "\n")
    return {"token": token.key, "patients": len(ids),
            "mmn_patients": Patient.objects.filter(code__startswith="SYN-",
                                                   diagnosis="mmn").count()}


def recompute(*, limit: int, series: int, repeat: int) -> dict[str, Any]:
    """Recompute patients with ``series`` series in this one process: in batches as the
    sweep and ``recompute --all`` do, and one at a time as the per-change Celery task does.
    Best and median of ``repeat`` runs."""
    from django.db.models import Count

    from patients.models import Patient
    from treatments.services import outcome_recompute, outcome_recompute_many

    ids = list(
        Patient.objects.annotate(n=Count("series")).filter(n=series)
        .order_by("pk").values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return {"skipped": f"no patient has {series} series"}
    outcome_recompute(patient_id=ids[0])  # warm the imports and the connection

    def rates(function: Callable[[], Any]) -> dict[str, float]:
        times = _timed(function, repeat)
        return {"best": round(len(ids) / min(times), 1),
                "median": round(len(ids) / statistics.median(times), 1)}

    batch = rates(lambda: outcome_recompute_many(patient_ids=ids))
    per_task = rates(lambda: [outcome_recompute(patient_id=pk) for pk in ids])
    return {"patients": len(ids), "series_each": series, "batch_per_second": batch,
            "per_task_per_second": per_task, "patients_per_second": batch["best"]}


def table1(*, repeat: int) -> dict[str, Any]:
    """Table 1 over every patient of the registry (one cohort), and over the MMN cohort."""
    from django.contrib.auth.models import User

    from treatments.reports import table1_report

    reader = User(is_superuser=True)
    everyone = _timed(lambda: table1_report(user=reader, every_diagnosis=True), repeat)
    mmn = _timed(lambda: table1_report(user=reader), repeat)
    cases = table1_report(user=reader, every_diagnosis=True)["counts"]["cases"]
    return {
        "all_patients": {"cases": cases, "best_s": round(min(everyone), 3),
                         "median_s": round(statistics.median(everyone), 3)},
        "mmn": {"cases": table1_report(user=reader)["counts"]["cases"],
                "best_s": round(min(mmn), 3), "median_s": round(statistics.median(mmn), 3)},
    }


def reports(*, repeat: int) -> dict[str, Any]:
    """The research and service reports over the whole registry, as an operator sees
    them: Table 1 (its MMN cohort), the measures report (every diagnosis) and the
    consumption report over the busiest calendar year of series."""
    from django.contrib.auth.models import User
    from django.db.models import Count
    from django.db.models.functions import ExtractYear
    from django.utils import timezone

    from treatments.models import Series
    from treatments.reports import consumption_report, measures_report, table1_report

    reader = User(is_superuser=True)
    # The consumption report's period: the calendar year with the most series (its
    # default, the current year, holds none of the generated ones).
    busiest = (Series.objects.annotate(year=ExtractYear("started_on")).values("year")
               .annotate(n=Count("id")).order_by("-n").values_list("year", flat=True)
               .first()) or timezone.localdate().year
    built = {
        "table1_mmn": lambda: table1_report(user=reader),
        "measures": lambda: measures_report(user=reader),
        "consumption": lambda: consumption_report(user=reader, start=date(busiest, 1, 1),
                                                  end=date(busiest, 12, 31)),
    }
    result: dict[str, Any] = {}
    for name, build in built.items():
        build()  # warm: imports, the connection, PostgreSQL's plan and caches
        times = _timed(build, repeat)
        result[name] = {"best_s": round(min(times), 3),
                        "median_s": round(statistics.median(times), 3)}
    result["table1_mmn"]["cases"] = table1_report(user=reader)["counts"]["cases"]
    result["consumption"]["period"] = str(busiest)
    return result


def forget_visits(*, after: int) -> dict[str, Any]:
    """Delete the visits the HTTP step POSTed (ids above ``after``), as the services would
    cascade them, so that a later ``bench/run --reuse`` can POST the same bodies again."""
    from patients.models import Visit

    posted = Visit.objects.filter(pk__gt=after, patient__code__startswith="SYN-")
    deleted, _ = posted.delete()
    return {"deleted_rows": deleted}


def lot(*, repeat: int) -> dict[str, Any]:
    """"Which patients received lot X?" (case-insensitive) over the whole registry."""
    from treatments.models import LotNumber
    from treatments.selectors import lot_recipients

    lots = list(LotNumber.objects.order_by("id").values_list("lot", flat=True)[::997][:20])
    if not lots:
        return {"skipped": "no lot numbers"}
    times = _timed(lambda: [lot_recipients(lot=name.lower()) for name in lots], repeat)
    return {"lots": len(lots), "ms_each_best": round(min(times) / len(lots) * 1000, 2)}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.measure")
    commands = parser.add_subparsers(dest="command", required=True)
    made = commands.add_parser("setup")
    made.add_argument("directory", type=Path)
    made.add_argument("--pages", type=int, default=20)
    made.add_argument("--seed", type=int, default=1)
    again = commands.add_parser("recompute")
    again.add_argument("--limit", type=int, default=200)
    again.add_argument("--series", type=int, default=24)
    again.add_argument("--repeat", type=int, default=3)
    report = commands.add_parser("table1")
    report.add_argument("--repeat", type=int, default=3)
    lookup = commands.add_parser("lot")
    lookup.add_argument("--repeat", type=int, default=3)
    forget = commands.add_parser("forget-visits")
    forget.add_argument("--after", type=int, required=True)
    built = commands.add_parser("reports")
    built.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    django.setup()
    # As the web entry point does (registry/wsgi.py): what is loaded at start-up is moved
    # out of the collector's reach, so collections walk only what the timed code allocates.
    gc.freeze()
    if args.command == "setup":
        result = setup(args.directory, pages=args.pages, seed=args.seed)
    elif args.command == "recompute":
        result = recompute(limit=args.limit, series=args.series, repeat=args.repeat)
    elif args.command == "lot":
        result = lot(repeat=args.repeat)
    elif args.command == "forget-visits":
        result = forget_visits(after=args.after)
    elif args.command == "reports":
        result = reports(repeat=args.repeat)
    else:
        result = table1(repeat=args.repeat)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
