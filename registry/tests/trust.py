"""Shared by the trust tests: two centres with full clinical histories and identifiers
whose values are easy to spot anywhere in an answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from patients.models import Consent, Identity, Patient
from registry.services import access_log_record
from registry.tests.factories import UserFactory, clinical_history

NAME = "Zebulon Quaxley"
HOSPITAL_NUMBER = "HN-7734-SECRET"
DATE_OF_BIRTH = date(1931, 2, 3)
IDENTIFIER_VALUES = (NAME, HOSPITAL_NUMBER, DATE_OF_BIRTH.isoformat(), "03/02/1931",
                     "3 February 1931", "Feb. 3, 1931")
IDENTIFIER_KEYS = ("identity", "date_of_birth", "hospital_number")


def identifiers_in(text: str) -> list[str]:
    """Every direct identifier (value, or key of a JSON answer) that ``text`` contains."""
    found = [value for value in IDENTIFIER_VALUES if value in text]
    found += [key for key in IDENTIFIER_KEYS if f'"{key}"' in text]
    return found


def populate(patient: Patient) -> None:
    """Full history (series, lots, visits, titres, studies…), identity and consent."""
    clinical_history(patient, 2)
    Identity.objects.create(patient=patient, name=NAME, date_of_birth=DATE_OF_BIRTH,
                            hospital_number=HOSPITAL_NUMBER)
    Consent.objects.update_or_create(patient=patient, defaults={
        "given_on": date(1993, 12, 1), "version": "v1", "withdrawn_on": None})
    from queries.services import query_raise
    from treatments.services import tailoring_record

    # A dose-tailoring episode (§10) after the second series, so every surface that lists
    # episodes has one of each centre.
    tailoring_record(patient=patient, data={"kind": "dose_reduction",
                                            "started_on": date(1994, 3, 1)})

    query_raise(patient=patient, message="Is the consent version right?",
                by=UserFactory(username=f"dm_{patient.center.code}"))
    # Someone was shown that identity once (the access log has a row of each centre).
    access_log_record(user=None, username="records-office", surface="page", patients=[patient])


@dataclass
class World:
    mine: Patient
    theirs: Patient
