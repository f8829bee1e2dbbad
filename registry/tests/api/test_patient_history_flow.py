"""One client records a whole treatment history through the API and reads the outcome
the clinical engine computed from it (tasks run eagerly after commit)."""

from decimal import Decimal

import pytest
from django.db import connection

from registry.tests.api.helpers import api
from treatments.models import TitreThreshold

MUSCLES = ["deltoid", "biceps", "triceps", "wrist_extensors", "finger_extensors"]


def grid(grade: int) -> list[dict]:
    return [{"muscle": muscle, "side": "R", "grade": grade} for muscle in MUSCLES]


@pytest.mark.django_db
def test_whole_history_gives_an_outcome(clinician, center, django_capture_on_commit_callbacks):
    TitreThreshold.objects.update_or_create(
        antigen="gm1", isotype="IgM", method="elisa", unit="dilution",
        defaults={"value": Decimal("1600")},
    )
    client = api(clinician)

    def post(path: str, payload: dict) -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/api/v1/{path}/", payload, format="json")
        # In production each request commits and its callbacks leave the queue; the test's
        # transaction stays open, so drop them as a commit would (outcome_mark_stale skips a
        # patient whose recompute is still queued). No transaction=True test: its flush
        # would drop the reference data the migrations seed.
        connection.run_on_commit.clear()
        assert response.status_code == 201, response.json()
        return response.json()

    patient = post("patients", {
        "code": "MMN-500", "center": center.pk, "sex": "M", "birth_year": 1955,
        "diagnosis": "mmn", "onset_year": 1990,
        "affected_nerves": [{"side": "R", "nerve": "ulnar"}],
        "consent": {"given_on": "1994-01-01", "version": "1", "withdrawn_on": None},
    })
    post("titres", {"patient": patient["id"], "sampled_on": "1994-01-02", "antigen": "gm1",
                    "isotype": "IgM", "method": "elisa", "value": 3200, "unit": "dilution"})
    post("visits", {"patient": patient["id"], "visited_on": "1994-01-03", "kind": "baseline",
                    "mrc": grid(2), "prineas_score": 3})
    series = post("series", {"patient": patient["id"], "started_on": "1994-01-10",
                             "days": 5, "dose_g_per_kg": 2.0, "weight_kg": 70,
                             "product": "IVIg", "lot_numbers": ["L-1"]})
    visit = post("visits", {"patient": patient["id"], "visited_on": "1994-02-01",
                            "kind": "post_series", "series": series["id"], "mrc": grid(4),
                            "prineas_score": 2})
    post("nerve-studies", {"patient": patient["id"], "studied_on": "1994-01-04",
                           "segments": [{"nerve": "ulnar", "side": "R",
                                         "distal_amplitude_mv": 8, "proximal_amplitude_mv": 2,
                                         "distal_area_mvms": 20, "proximal_area_mvms": 5,
                                         "distal_duration_ms": 6, "proximal_duration_ms": 6.5,
                                         "velocity_m_s": 50}]})

    outcome = client.get(f"/api/v1/patients/{patient['id']}/outcome/").json()
    assert outcome["stale"] is False
    assert outcome["computed_at"] is not None
    assert outcome["baseline_score"] == 10
    assert outcome["initial_response"] == "dramatic"
    assert outcome["beneficial_series"] == [1]
    assert outcome["series"][0]["post_score"] == 20
    assert outcome["titres_significant"][0]["antigen"] == "gm1"
    assert outcome["conduction_blocks"]["first_study"] is not None
    assert client.get(f"/api/v1/visits/{visit['id']}/").json()["score"] == 20
    lots = client.get("/api/v1/lots/L-1/patients/").json()
    assert lots["results"][0]["code"] == "MMN-500"
    history = client.get(f"/api/v1/patients/{patient['id']}/history/").json()
    assert {"patient", "titre", "visit", "mrcgrade", "series", "lotnumber",
            "nervestudy", "nervesegment"} <= {entry["model"] for entry in history["results"]}
