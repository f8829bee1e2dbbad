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
