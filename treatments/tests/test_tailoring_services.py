"""The tailoring episodes' services (clinical-rules.md §10): validated, versioned, the
outcome marked stale in the same transaction and recomputed after commit; the outcomes a
date moves marked stale once a day."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from registry.services import VersionConflict
from treatments.models import Outcome, TailoringEpisode
from treatments.services import (
    outcome_recompute,
    outcomes_mark_stale_dated,
    tailoring_delete,
    tailoring_record,
    tailoring_update,
)
from treatments.tests.tailoring_scenario import withdrawn

pytestmark = pytest.mark.django_db


def test_record_marks_stale_and_enqueues_once_committed(patient,
                                                        django_capture_on_commit_callbacks):
    before = Outcome.objects.get(patient=patient).data_version
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        episode = tailoring_record(patient=patient, data={"kind": "withdrawal",
                                                          "started_on": date(2025, 1, 1)})
    assert len(callbacks) == 1
    assert episode.version == 1
    outcome = Outcome.objects.get(patient=patient)
    assert outcome.data_version == before + 1
    assert not outcome.stale  # the eager recompute ran after commit
    assert outcome.result["tailoring"][0]["id"] == episode.pk


def test_end_before_start_names_ended_on_and_writes_nothing(patient):
    before = Outcome.objects.get(patient=patient).data_version
    with pytest.raises(ValidationError) as error:
        tailoring_record(patient=patient, data={"kind": "withdrawal",
                                                "started_on": date(2025, 2, 1),
                                                "ended_on": date(2025, 1, 1)})
    assert "ended_on" in error.value.message_dict
    assert not TailoringEpisode.objects.exists()
    assert Outcome.objects.get(patient=patient).data_version == before


def test_the_database_refuses_an_end_before_the_start(patient):
    with pytest.raises(IntegrityError), transaction.atomic():
        TailoringEpisode.objects.create(patient=patient, kind="withdrawal",
                                        started_on=date(2025, 2, 1), ended_on=date(2025, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        TailoringEpisode.objects.create(patient=patient, kind="pause",
                                        started_on=date(2025, 2, 1))


def test_update_checks_the_version_and_delete_marks_stale(patient):
    episode = tailoring_record(patient=patient, data={"kind": "dose_reduction",
                                                      "started_on": date(2025, 1, 1)})
    changed = tailoring_update(episode=episode, version=1, data={"notes": "1.6 g/kg"})
    assert changed.version == 2
    with pytest.raises(VersionConflict):
        tailoring_update(episode=episode, version=1, data={"notes": "late"})
    with pytest.raises(ValidationError) as error:
        tailoring_update(episode=changed, version=2, data={"result": "tolerated"})
    assert "result" in error.value.message_dict
    before = Outcome.objects.get(patient=patient).data_version
    tailoring_delete(episode=changed)
    assert not TailoringEpisode.objects.exists()
    assert Outcome.objects.get(patient=patient).data_version == before + 1


def test_a_window_closing_marks_the_outcome_stale_the_next_day(patient, other_patient):
    today = timezone.localdate()
    withdrawn(patient, start=today - timedelta(days=100), relapse=False)
    withdrawn(other_patient, start=today - timedelta(days=400), relapse=False)
    assert outcomes_mark_stale_dated(today=today) == []  # both computed today
    Outcome.objects.update(computed_at=timezone.now() - timedelta(days=1))
    # Only the episode whose window may still be open (started within 180 + 1 days).
    assert outcomes_mark_stale_dated(today=today) == [patient.pk]
    assert Outcome.objects.get(patient=patient).stale
    assert not Outcome.objects.get(patient=other_patient).stale
    outcome_recompute(patient_id=patient.pk)
    assert not Outcome.objects.get(patient=patient).stale
