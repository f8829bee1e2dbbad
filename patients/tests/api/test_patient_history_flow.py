"""One client records a whole treatment history through the API and reads the outcome the
clinical engine computed from it (tasks run eagerly after commit).

The history is clinical-rules.md §2's worked example (Table 1, case 4) on five target
muscles: baseline sum 5, six monthly series with post scores 16 … 21, then two follow-up
visits at 21 — initial response dramatic (mean gain 2.2), N* = 6, plateau after series 6,
final "Persistent improvement" (mean gain 3.2); Prineas 3 → 2, a conduction block found at
the first study and still there at the last, anti-GM1 IgM 1/3200 before the first series,
and a trough before series 2 that does not fall below the peak of series 1 (no wear-off).
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from registry.tests.api.helpers import api
from treatments.models import TitreThreshold

MUSCLES = ["deltoid", "biceps", "triceps", "wrist_extensors", "finger_extensors"]
BLOCKED_ULNAR = {"nerve": "ulnar", "side": "R", "distal_site": "wrist",
                 "proximal_site": "elbow", "distal_amplitude_mv": 8, "proximal_amplitude_mv": 2,
                 "distal_area_mvms": 20, "proximal_area_mvms": 5, "distal_duration_ms": 6,
                 "proximal_duration_ms": 6.5, "velocity_m_s": 50}
FIRST_SERIES = date(1994, 1, 10)
POST_SCORES = [16, 17, 18, 19, 20, 21]


def grid(total: int) -> list[dict]:
    """Grades of the five target muscles (right side) summing to ``total``."""
    grades = [total // 5 + (1 if i < total % 5 else 0) for i in range(5)]
    return [{"muscle": m, "side": "R", "grade": g} for m, g in zip(MUSCLES, grades, strict=True)]


@pytest.mark.django_db
def test_whole_history_gives_the_outcome_of_the_rules(
    clinician, center, django_capture_on_commit_callbacks
):
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
        "affected_nerves": [{"side": "R", "nerve": "ulnar"}, {"side": "R", "nerve": "median"}],
        "consent": {"given_on": "1994-01-01", "version": "1", "withdrawn_on": None},
    })
    pid = patient["id"]
    post("titres", {"patient": pid, "sampled_on": "1994-01-02", "antigen": "gm1",
                    "isotype": "IgM", "method": "elisa", "value": 3200, "unit": "dilution"})
    post("nerve-studies", {"patient": pid, "studied_on": "1994-01-04",
                           "segments": [BLOCKED_ULNAR]})
    post("visits", {"patient": pid, "visited_on": "1994-01-03", "kind": "baseline",
                    "mrc": grid(5), "prineas_score": 3})
    visits = []
    for number, score in enumerate(POST_SCORES, start=1):
        started = FIRST_SERIES + timedelta(days=28 * (number - 1))
        series = post("series", {
            "patient": pid, "started_on": started.isoformat(), "days": 5,
            "dose_g_per_kg": 2.0, "weight_kg": 70, "product": "IVIg",
            "lot_numbers": [f"L-{number}", "L-SHARED"]})
        assert (series["number"], series["total_grams"]) == (number, 140.0)
        assert series["interval_days"] == (None if number == 1 else 28)
        if number == 2:  # a trough measured just before series 2, no lower than the peak
            post("visits", {"patient": pid, "visited_on": (started - timedelta(days=1)).isoformat(),
                            "kind": "pre_series", "series": series["id"], "mrc": grid(16)})
        visits.append(post("visits", {
            "patient": pid, "visited_on": (started + timedelta(days=14)).isoformat(),
            "kind": "post_series", "series": series["id"], "mrc": grid(score),
            "prineas_score": 2}))
    last = FIRST_SERIES + timedelta(days=28 * 5)
    for weeks in (4, 8):
        post("visits", {"patient": pid, "visited_on": (last + timedelta(weeks=weeks)).isoformat(),
                        "kind": "follow_up", "mrc": grid(21), "prineas_score": 2})
    post("nerve-studies", {"patient": pid, "studied_on": (last + timedelta(weeks=8)).isoformat(),
                           "segments": [BLOCKED_ULNAR]})

    outcome = client.get(f"/api/v1/patients/{pid}/outcome/").json()
    assert outcome["stale"] is False
    assert outcome["computed_at"] is not None
    assert outcome["rules_version"] == "seed-2"  # the default since §9 (judges mrc_targets)
    assert outcome["primary_measure"] == "mrc_targets"
    assert outcome["status"] == "plateau"
    assert outcome["baseline_score"] == 5
    assert outcome["target_muscles"] == [{"muscle": m, "side": "R"} for m in MUSCLES]
    assert outcome["initial_response"] == "dramatic"
    assert outcome["beneficial_series"] == [1, 2, 3, 4, 5, 6]
    assert outcome["n_star"] == 6
    assert outcome["plateau_after_series"] == 6
    assert outcome["wear_off_intervals"] == []
    assert outcome["infusion_dependent"] is False
    assert outcome["final"] == {"grade": "dramatic", "persistent": True,
                                "label": "Persistent improvement"}
    assert outcome["disability"] == {"measure": "prineas", "before": 3, "after": 2,
                                     "change": -1, "result": "improved"}
    blocks = outcome["conduction_blocks"]
    assert (blocks["first_study"], blocks["latest_study"]) == (1, 1)
    assert [(s["nerve"], s["side"], s["state"]) for s in blocks["segments"]] == [
        ("ulnar", "R", "persisting")]
    assert [(t["antigen"], t["isotype"], t["value"], t["unit"])
            for t in outcome["titres_significant"]] == [("gm1", "IgM", 3200, "dilution")]
    assert [(s["number"], s["post_score"], s["beneficial"]) for s in outcome["series"]] == [
        (n, score, True) for n, score in enumerate(POST_SCORES, start=1)]
    # docs/rules-decisions.md: one examination is never both the peak of series k and the
    # trough of k+1, so only the pre_series visit gives a pre score.
    assert [s["pre_score"] for s in outcome["series"]] == [None, 16, None, None, None, None]
    assert outcome["series"][0]["grade"] == "dramatic"
    assert outcome["flags"] == []

    # What the other read-only resources make of the same history.
    assert [client.get(f"/api/v1/visits/{v['id']}/").json()["score"] for v in visits] == \
        POST_SCORES
    lots = client.get("/api/v1/lots/l-shared/patients/").json()
    assert [(r["code"], r["series"]) for r in lots["results"]] == [
        ("MMN-500", n) for n in range(1, 7)]
    history = client.get(f"/api/v1/patients/{pid}/history/", {"page_size": 500}).json()
    assert {"patient", "titre", "visit", "mrcgrade", "series", "lotnumber",
            "nervestudy", "nervesegment"} <= {entry["model"] for entry in history["results"]}
    table1 = client.get("/api/v1/reports/table1/").json()
    row = next(r for r in table1["rows"] if r["case"] == "MMN-500")
    assert (row["series_count"], row["first_response"], row["n_star"], row["final_result"],
            row["gm1_titre_before_ivig"], row["gm1_significant"]) == (
        6, "dramatic", 6, "Persistent improvement", 3200, True)
