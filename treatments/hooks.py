"""What other apps run after outcomes are stored (the data-quality queries, §11).

``treatments`` knows nothing of the apps that follow its outcomes: they register a
function here when Django starts (their ``AppConfig.ready``), and the recompute services
call every registered function once per stored batch, with what the rules read and
computed. A function that fails is logged; the stored outcomes stay, and the next
recompute of those patients calls it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from treatments.rules import Outcome, PatientIn, ThresholdIn

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recomputed:
    """One patient's stored computation: the inputs and the outcome the rules gave."""

    patient_id: int
    read_version: int  # the ``data_version`` the inputs were read at
    patient: PatientIn
    outcome: Outcome
    thresholds: tuple[ThresholdIn, ...]  # those of the patient's centre (§5)


OutcomeStoredHook = Callable[[Sequence[Recomputed]], None]
# The worklist's open queries (api.md ``worklist/``): the app that holds the queries
# registers a reader of the patients' open ones, as ``{patient, code, …}`` rows.
WorklistQueries = Callable[[Any], list[dict[str, Any]]]
_worklist_queries: list[WorklistQueries] = []
_hooks: list[OutcomeStoredHook] = []


def outcome_stored_hook_register(hook: OutcomeStoredHook) -> None:
    if hook not in _hooks:
        _hooks.append(hook)


def outcome_stored(recomputed: Sequence[Recomputed]) -> None:
    """Run every registered hook over the patients whose outcome was just stored."""
    if not recomputed:
        return
    for hook in _hooks:
        try:
            hook(recomputed)
        except Exception:  # the outcome is stored; the hook catches up on the next recompute
            logger.exception("After-recompute hook %s failed for %s patient(s).",
                             getattr(hook, "__qualname__", hook), len(recomputed))


def worklist_queries_register(reader: WorklistQueries) -> None:
    if reader not in _worklist_queries:
        _worklist_queries.append(reader)


def worklist_queries(patients: Any) -> list[dict[str, Any]]:
    """The open queries of ``patients`` (a queryset, already scoped) from every registered
    reader; none registered (the queries app not installed): none."""
    return [row for reader in _worklist_queries for row in reader(patients)]
