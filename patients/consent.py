"""Consent for secondary use (clinical-rules.md §8): its state, and who may be counted.

The state is the latest of ``given_on`` and ``withdrawn_on`` that is not in the future:
``given``, ``withdrawn`` (a withdrawal on the day of the consent wins: it was signed
after), or ``not_recorded`` (no consent, or one dated in the future). Research outputs —
Table 1 and 2, exports, the researcher role's API lists and details — count only
patients whose state is ``given``; care and safety (the patient's own pages, the lot
look-up, worklists, queries) never filter.

The states are a code list (``catalogues.ConsentState``); the same rule as a query — which
patients may be counted — is in ``registry.scoping`` (``scope_reportable_patients``,
``scope_research_consent``), part of the access policy.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from catalogues import ConsentState


def consent_state(*, given_on: date | None, withdrawn_on: date | None,
                  today: date) -> ConsentState:
    if withdrawn_on is not None and withdrawn_on <= today:
        return ConsentState.WITHDRAWN  # never before given_on (a database constraint)
    if given_on is not None and given_on <= today:
        return ConsentState.GIVEN
    return ConsentState.NOT_RECORDED


def consent_state_of(patient, *, today: date | None = None) -> ConsentState:
    """The state of a patient's consent row (read with ``select_related("consent")``)."""
    try:
        consent = patient.consent
    except ObjectDoesNotExist:  # the reverse one-to-one raises when there is no row
        return ConsentState.NOT_RECORDED
    return consent_state(given_on=consent.given_on, withdrawn_on=consent.withdrawn_on,
                         today=today or timezone.localdate())
