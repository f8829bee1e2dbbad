"""Equality check of the recompute: the same registry gives the same stored outcomes.

``python -m bench.equality dump FILE`` recomputes every patient of the registry (the
batched path, ``outcome_recompute_many``) and writes, one JSON line per patient, what is
stored: the outcome's columns and its ``result`` and ``summary`` as PostgreSQL holds them
(so key order and number formatting of the serialiser do not matter), without the
timestamps (``computed_at``), and the data-quality queries the recompute's hook keeps
(without ids, users and timestamps).

``python -m bench.equality compare FILE`` recomputes the same way, and also one patient
per call (``outcome_recompute``, the per-change task) for every ``--every``-th patient,
and names every patient whose stored outcome or queries differ from the file; exit
status 1 if any does. Run it on the registry the file was dumped from, on the same day
(``overdue`` and the tailoring windows are judged with today's date).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import django

BATCH = 200


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def snapshot(patient_ids: list[int]) -> dict[int, dict[str, Any]]:
    """What is stored for these patients, by patient id (comparable, JSON-ready)."""
    from queries.models import Query
    from treatments.models import Outcome

    rows: dict[int, dict[str, Any]] = {}
    for start in range(0, len(patient_ids), 1000):
        chunk = patient_ids[start:start + 1000]
        for (patient_id, data_version, computed, rules_version, revision, criteria, status,
             result, summary) in Outcome.objects.filter(patient_id__in=chunk).values_list(
                "patient_id", "data_version", "computed_data_version", "rules_version",
                "thresholds_revision", "criteria", "status", "result", "summary"):
            rows[patient_id] = {
                "data_version": data_version, "computed_data_version": computed,
                "rules_version": rules_version, "thresholds_revision": revision,
                "criteria": criteria, "status": status, "result": result,
                "summary": summary, "queries": [],
            }
        queries = (Query.objects.filter(patient_id__in=chunk)
                   .order_by("patient_id", "rule", "record_model", "record_id", "fingerprint")
                   .values_list("patient_id", "record_model", "record_id", "rule", "message",
                                "fingerprint", "status", "close_reason"))
        for patient_id, model, record, rule, message, fingerprint, status, reason in queries:
            rows.setdefault(patient_id, {"queries": []})["queries"].append(
                [model, record, rule, message, fingerprint, status, reason])
    return {pk: _jsonable(row) for pk, row in rows.items()}


def _patient_ids() -> list[int]:
    from patients.models import Patient

    return list(Patient.objects.order_by("pk").values_list("pk", flat=True))


def recompute_batched(ids: list[int]) -> None:
    from treatments.services import outcome_recompute_many

    for start in range(0, len(ids), BATCH):
        outcome_recompute_many(patient_ids=ids[start:start + BATCH], batch_size=BATCH)


def dump(path: Path) -> int:
    ids = _patient_ids()
    recompute_batched(ids)
    rows = snapshot(ids)
    with path.open("w") as out:
        for pk in sorted(rows):
            out.write(json.dumps({"patient_id": pk, **rows[pk]}, sort_keys=True) + "\n")
    print(f"dumped {len(rows)} patients to {path}")
    return 0


def _differences(expected: dict[str, Any], got: dict[str, Any] | None) -> list[str]:
    if got is None:
        return ["missing"]
    keys = sorted(set(expected) | set(got))
    found = []
    for key in keys:
        if expected.get(key) == got.get(key):
            continue
        left, right = expected.get(key), got.get(key)
        if isinstance(left, dict) and isinstance(right, dict):
            found += [f"{key}.{inner}" for inner in sorted(set(left) | set(right))
                      if left.get(inner) != right.get(inner)]
        else:
            found.append(key)
    return found


def compare(path: Path, *, every: int) -> int:
    from treatments.services import outcome_recompute

    expected = {}
    with path.open() as source:
        for line in source:
            row = json.loads(line)
            expected[row.pop("patient_id")] = row
    ids = _patient_ids()
    failures: dict[str, dict[int, list[str]]] = {}

    def check(label: str, patient_ids: list[int]) -> None:
        got = snapshot(patient_ids)
        for pk in patient_ids:
            if pk not in expected:
                failures.setdefault(label, {})[pk] = ["not in the dump"]
                continue
            found = _differences(expected[pk], got.get(pk))
            if found:
                failures.setdefault(label, {})[pk] = found

    missing = sorted(set(expected) - set(ids))
    if missing:
        failures["registry"] = {pk: ["in the dump, not in the registry"] for pk in missing}
    recompute_batched(ids)
    check("batched", ids)
    sample = ids[::every] if every else []
    for pk in sample:
        outcome_recompute(patient_id=pk)
    check("per patient", sample)
    for label, found in failures.items():
        for pk, keys in sorted(found.items()):
            print(f"{label}: patient {pk} differs: {', '.join(keys)}")
    total = sum(len(found) for found in failures.values())
    print(f"compared {len(ids)} patients batched and {len(sample)} one by one:"
          f" {total} difference(s)")
    return 1 if total else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.equality")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("dump").add_argument("file", type=Path)
    checked = commands.add_parser("compare")
    checked.add_argument("file", type=Path)
    checked.add_argument("--every", type=int, default=10,
                         help="also recompute every N-th patient one by one (0: none)")
    args = parser.parse_args(argv)
    django.setup()
    if args.command == "dump":
        return dump(args.file)
    return compare(args.file, every=args.every)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
