"""The demo data (``patients.demo.paper``) reproduces the source paper through the
clinical rules (``treatments.rules``). Pure: no database, no Django settings."""

from __future__ import annotations

import ast
from collections import Counter
from datetime import date
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest

import catalogues as cat
from patients.demo.paper import CENTRE, PATIENTS
from treatments.rules import (
    DEFAULT_THRESHOLDS,
    SEED_1,
    SEED_1_BLOCKS,
    PatientIn,
    PriorTreatmentIn,
    SegmentIn,
    SeriesIn,
    StudyIn,
    TitreIn,
    VisitIn,
    compute_outcome,
)
from treatments.rules.reports import Table1Input, Table2Input, table1, table2

BY_CODE = {p["code"]: p for p in PATIENTS}
STUDY_START, STUDY_END = date(1993, 1, 1), date(1995, 12, 31)

PATIENT_KEYS = {
    "code", "table", "case", "sex", "birth_year", "diagnosis", "onset_year",
    "neuropathy_pattern", "affected_nerves", "target_muscles", "identity", "consent", "notes",
    "titres", "paraproteins", "prior_treatments", "series", "visits", "nerve_studies",
}


# --- converter ----------------------------------------------------------------------------


def to_patient_in(patient: dict) -> PatientIn:
    series = tuple(
        SeriesIn(
            number=s["number"],
            started_on=s["started_on"],
            days=s["days"],
            status=s["status"],
            stopped_for_adverse_event=s["status"] == "stopped"
            and any(e["led_to_stop"] for e in s["adverse_events"]),
        )
        for s in patient["series"]
    )
    visits = tuple(
        VisitIn(
            id=index,
            visited_on=v["visited_on"],
            kind=v["kind"],
            series_number=v["series"],
            mrc=dict(v["mrc"]),
            functional_score=v["functional_score"],
            prineas_score=v["prineas_score"],
        )
        for index, v in enumerate(patient["visits"], start=1)
    )
    titres = tuple(
        TitreIn(sampled_on=t["sampled_on"], antigen=t["antigen"], isotype=t["isotype"],
                method=t["method"], value=t["value"], unit=t["unit"])
        for t in patient["titres"]
    )
    studies = tuple(
        StudyIn(studied_on=s["studied_on"], segments=tuple(SegmentIn(**seg)
                                                           for seg in s["segments"]))
        for s in patient["nerve_studies"]
    )
    return PatientIn(
        diagnosis=patient["diagnosis"],
        series=series,
        visits=visits,
        titres=titres,
        studies=studies,
        pinned_targets=tuple((m, s) for m, s in patient["target_muscles"]),
        prior_treatments=tuple(
            PriorTreatmentIn(kind=t["kind"], started_on=t.get("started_on"),
                             ended_on=t.get("ended_on"))
            for t in patient["prior_treatments"]
        ),
    )


OUTCOMES = {
    code: compute_outcome(to_patient_in(p), rules=SEED_1, thresholds=DEFAULT_THRESHOLDS,
                          block_criteria=SEED_1_BLOCKS).as_dict()
    for code, p in BY_CODE.items()
}


def age_at_first_series(patient: dict) -> int:
    born, first = patient["identity"]["date_of_birth"], patient["series"][0]["started_on"]
    return first.year - born.year - ((first.month, first.day) < (born.month, born.day))


def codes(prefix: str) -> list[str]:
    return sorted(code for code in BY_CODE if code.startswith(prefix))


# --- shape and ranges ---------------------------------------------------------------------


def test_counts_and_codes():
    assert CENTRE == {"code": "DEMO", "name": "Demo neurology department"}
    assert len(PATIENTS) == 23
    assert len(BY_CODE) == 23
    assert Counter(p["diagnosis"] for p in PATIENTS) == {
        "mmn": 6, "igm_mgus_pn": 13, "igg_mgus_pn": 4}
    assert codes("MMN-") == [f"MMN-{i:03d}" for i in range(1, 7)]
    assert codes("IGM-") == [f"IGM-{i:03d}" for i in range(1, 14)]
    assert codes("IGG-") == [f"IGG-{i:03d}" for i in range(1, 5)]
    numbers = [p["identity"]["hospital_number"] for p in PATIENTS]
    assert len(set(numbers)) == 23


@pytest.mark.parametrize("patient", PATIENTS, ids=lambda p: p["code"])
def test_patient_shape_and_catalogue_codes(patient):
    assert set(patient) == PATIENT_KEYS
    assert patient["sex"] in cat.codes(cat.SEXES)
    assert patient["diagnosis"] in cat.codes(cat.DIAGNOSES)
    assert patient["neuropathy_pattern"] in (*cat.codes(cat.NEUROPATHY_PATTERNS), None)
    assert patient["table"] in ("table1", "table2", "text")
    assert isinstance(patient["case"], int)
    assert patient["target_muscles"] == []
    for side, nerve in patient["affected_nerves"]:
        assert side in cat.codes(cat.SIDES) and nerve in cat.codes(cat.NERVES)
    identity = patient["identity"]
    assert identity["name"] == f"Demo Patient {patient['code']}"
    assert identity["hospital_number"].startswith("DEMO-")
    assert identity["date_of_birth"].year == patient["birth_year"]
    assert patient["onset_year"] <= patient["series"][0]["started_on"].year
    consent = patient["consent"]
    assert consent["version"] == "1.0" and consent["withdrawn_on"] is None
    assert consent["given_on"] < patient["visits"][0]["visited_on"]
    for titre in patient["titres"]:
        assert titre["antigen"] in cat.codes(cat.ANTIGENS)
        assert titre["isotype"] in cat.codes(cat.ISOTYPES)
        assert titre["method"] in cat.codes(cat.TITRE_METHODS)
        assert titre["unit"] in cat.codes(cat.TITRE_UNITS)
        assert isinstance(titre["value"], Decimal) and titre["value"] >= 0
    for protein in patient["paraproteins"]:
        assert protein["isotype"] in cat.codes(cat.ISOTYPES)
        assert protein["light_chain"] in cat.codes(cat.LIGHT_CHAINS)
        assert Decimal(0) < protein["serum_level_g_l"] < Decimal(30)
    for prior in patient["prior_treatments"]:
        assert prior["kind"] in cat.codes(cat.PRIOR_TREATMENTS)
        assert prior["started_on"] <= prior["ended_on"] < patient["series"][0]["started_on"]


@pytest.mark.parametrize("patient", PATIENTS, ids=lambda p: p["code"])
def test_series_ranges_and_numbering(patient):
    series = patient["series"]
    assert [s["number"] for s in series] == list(range(1, len(series) + 1))
    starts = [s["started_on"] for s in series]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    for previous, current in pairwise(starts):
        assert 28 <= (current - previous).days <= 35
    for s in series:
        assert 1 <= s["days"] <= 7
        assert Decimal("0.1") <= s["dose_g_per_kg"] <= Decimal("3.0")
        assert isinstance(s["weight_kg"], Decimal) and s["weight_kg"] > 0
        assert s["product"] == "IVIg (Bio-Transfusion)"
        assert len(s["lot_numbers"]) >= 2
        assert len(set(s["lot_numbers"])) == len(s["lot_numbers"])
        assert s["status"] in cat.codes(cat.SERIES_STATUSES)
        for event in s["adverse_events"]:
            assert event["kind"] in cat.codes(cat.ADVERSE_EVENT_KINDS)
            assert event["severity"] in cat.codes(cat.SEVERITIES)
        if s["status"] == "given":
            assert 2 <= s["days"] <= 5
            if patient["diagnosis"] == "mmn":
                assert Decimal("1.6") <= s["dose_g_per_kg"] <= Decimal("2.4")
            else:
                assert s["dose_g_per_kg"] == Decimal("2.0")


@pytest.mark.parametrize("patient", PATIENTS, ids=lambda p: p["code"])
def test_visits_ranges(patient):
    numbers = {s["number"] for s in patient["series"]}
    muscles, sides = cat.codes(cat.MUSCLES), cat.codes(cat.SIDES)
    for visit in patient["visits"]:
        assert visit["kind"] in cat.codes(cat.VISIT_KINDS)
        if visit["kind"] in ("pre_series", "post_series"):
            assert visit["series"] in numbers
        else:
            assert visit["series"] is None
        assert visit["examiner"] == "Demo examiner"
        for (muscle, side), grade in visit["mrc"].items():
            assert muscle in muscles and side in sides
            assert isinstance(grade, int) and 0 <= grade <= 5
        for score in (visit["functional_score"], visit["prineas_score"]):
            assert score is None or (isinstance(score, int) and 0 <= score <= 5)
    kinds = Counter(v["kind"] for v in patient["visits"])
    assert kinds["baseline"] == 1 and kinds["final"] == 1
    assert kinds["pre_series"] == kinds["post_series"] == len(numbers)


@pytest.mark.parametrize("patient", PATIENTS, ids=lambda p: p["code"])
def test_dates_within_the_study(patient):
    dates = [patient["consent"]["given_on"]]
    dates += [s["started_on"] for s in patient["series"]]
    dates += [v["visited_on"] for v in patient["visits"]]
    dates += [t["sampled_on"] for t in patient["titres"]]
    dates += [p["measured_on"] for p in patient["paraproteins"]]
    dates += [s["studied_on"] for s in patient["nerve_studies"]]
    assert all(STUDY_START <= d <= STUDY_END for d in dates)


def test_some_lots_are_shared_between_patients():
    patients_by_lot: dict[str, set[str]] = {}
    for patient in PATIENTS:
        for s in patient["series"]:
            for lot in s["lot_numbers"]:
                patients_by_lot.setdefault(lot, set()).add(patient["code"])
    shared = [lot for lot, who in patients_by_lot.items() if len(who) >= 2]
    assert len(shared) >= 5


def test_module_is_plain_python():
    from patients.demo import paper

    tree = ast.parse(Path(paper.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom)}
    assert imported <= {"__future__", "datetime", "decimal", "typing"}


# --- Table 1: MMN -------------------------------------------------------------------------

# code: (sex, age, course, series, first response, N*, final label, status, anti-GM1)
TABLE1 = {
    "MMN-001": ("M", 34, 8, 13, "dramatic", 10, "Persistent improvement", "plateau", 0),
    "MMN-002": ("M", 50, 15, 8, "slight", 5, "Deterioration", "deteriorating", 1600),
    "MMN-003": ("M", 46, 15, 8, "dramatic", 6, "Slight persistent improvement", "plateau",
                400),
    "MMN-004": ("M", 29, 22, 6, "dramatic", 6, "Persistent improvement", "plateau", 12800),
    "MMN-005": ("M", 46, 3, 8, "mild", 5, "Mild persistent improvement if repeated",
                "plateau", 3200),
    "MMN-006": ("M", 35, 4, 3, "none", None, "No response", "no_response", 3200),
}
TABLE1_NERVES = {
    "MMN-001": {("R", "median"), ("L", "ulnar"), ("L", "radial"), ("L", "peroneal")},
    "MMN-002": {("R", "median"), ("R", "ulnar"), ("L", "ulnar"), ("R", "radial"),
                ("L", "radial"), ("R", "peroneal")},
    "MMN-003": {("R", "median"), ("L", "ulnar"), ("R", "peroneal")},
    "MMN-004": {("R", "ulnar"), ("L", "ulnar"), ("L", "median"), ("L", "peroneal")},
    "MMN-005": {("R", "median"), ("R", "ulnar"), ("L", "peroneal")},
    "MMN-006": {("R", "radial")},
}
# constructed: baseline target sum, post scores, blocks at the first and latest study
TABLE1_CONSTRUCTED = {
    "MMN-001": (6, [17, 18, 18, 19, 20, 20, 21, 22, 22, 23, 23, 23, 23], 3),
    "MMN-002": (12, [14, 15, 16, 16, 17, 15, 13, 11], 4),
    "MMN-003": (10, [21, 21, 22, 23, 23, 24, 24, 24], 2),
    "MMN-004": (5, [16, 17, 18, 19, 20, 21], 3),
    "MMN-005": (10, [16, 17, 18, 18, 19, 19, 19, 19], 2),
    "MMN-006": (17, [17, 17, 17], 1),
}


@pytest.mark.parametrize("code", sorted(TABLE1))
def test_table1_case(code):
    patient, outcome = BY_CODE[code], OUTCOMES[code]
    sex, age, course, count, first, star, label, status, gm1 = TABLE1[code]
    assert patient["table"] == "table1" and patient["case"] == int(code[-3:])
    assert patient["sex"] == sex
    assert age_at_first_series(patient) == age
    assert patient["series"][0]["started_on"].year - patient["onset_year"] == course
    assert set(patient["affected_nerves"]) == TABLE1_NERVES[code]
    assert len(patient["series"]) == count
    assert 10 <= len(patient["visits"][0]["mrc"]) <= 20

    assert outcome["flags"] == []
    assert outcome["initial_response"] == first
    assert outcome["n_star"] == star
    assert outcome["final"]["label"] == label
    assert outcome["status"] == status
    # "a plateau was reached after five to six monthly IVIg infusions in cases 2, 3, 4
    # and 5, and after 10 months in case 1": case 2's plateau stands under its
    # "deteriorating" status.
    assert outcome["plateau_after_series"] == star

    baseline, posts, blocks = TABLE1_CONSTRUCTED[code]
    assert outcome["baseline_score"] == baseline
    assert [s["post_score"] for s in outcome["series"]] == posts

    before = [t for t in outcome["titres_before_ivig"] if t["antigen"] == "gm1"]
    assert [(t["value"], t["method"], t["unit"]) for t in before] == [(gm1, "elisa", "dilution")]

    # "the conduction blocks were not significantly reduced"
    studies = outcome["conduction_blocks"]
    assert 2 <= len(patient["nerve_studies"]) <= 3
    assert studies["first_study"] == studies["latest_study"] == blocks
    assert [s["state"] for s in studies["segments"]] == ["persisting"] * blocks
    assert patient["nerve_studies"][0]["studied_on"] < patient["series"][0]["started_on"]
    assert patient["nerve_studies"][-1]["studied_on"] > patient["series"][-1]["started_on"]


def test_table1_wear_off_only_in_case_5():
    dependent = {code for code in TABLE1 if OUTCOMES[code]["infusion_dependent"]}
    assert dependent == {"MMN-005"}
    assert len(OUTCOMES["MMN-005"]["wear_off_intervals"]) >= 2


def test_case_6_single_radial_block():
    segments = OUTCOMES["MMN-006"]["conduction_blocks"]["segments"]
    assert [(s["nerve"], s["side"]) for s in segments] == [("radial", "R")]


def test_case_2_improves_to_series_5_then_falls_below_baseline():
    outcome = OUTCOMES["MMN-002"]
    posts = [s["post_score"] for s in outcome["series"]]
    assert posts[:5] == sorted(posts[:5]) and max(posts) == posts[4]
    assert outcome["final"]["grade"] == "deterioration"


def test_table1_report_summary_lines():
    rows = []
    for code in sorted(TABLE1):
        patient, outcome = BY_CODE[code], OUTCOMES[code]
        before = next(t for t in outcome["titres_before_ivig"] if t["antigen"] == "gm1")
        rows.append(Table1Input(
            case=code, sex=patient["sex"], age_at_first_series=age_at_first_series(patient),
            course_years=patient["series"][0]["started_on"].year - patient["onset_year"],
            affected_nerves=tuple(patient["affected_nerves"]),
            series_count=len(patient["series"]), outcome=outcome,
            gm1_titre_before_ivig=before["value"], gm1_significant=before["significant"],
        ))
    report = table1(rows)
    assert report["summary"] == [
        "initial response dramatic in 3/6",
        "final good result in 4/6",
        "significantly high anti-GM1 in 4/6",
    ]
    significant = [r["case"] for r in report["rows"] if r["gm1_significant"]]
    assert significant == ["MMN-002", "MMN-004", "MMN-005", "MMN-006"]


# --- Table 2 and the text: IgM polyneuropathy ---------------------------------------------

# code: (sex, age, course, prior kinds, activity, IgM g/l, series, Prineas before, after)
TABLE2 = {
    "IGM-001": ("M", 56, 7, {"steroids", "plasma_exchange", "immunosuppressant"},
                {"gd1a", "gd1b"}, "4.7", 3, 3, 2),
    "IGM-002": ("M", 45, 5, {"immunosuppressant"}, {"mag", "sgpg"}, "4.5", 11, 4, 3),
    "IGM-003": ("M", 68, 10, {"plasma_exchange", "immunosuppressant"}, {"mag", "sgpg"}, "2",
                10, 3, 2),
    "IGM-004": ("M", 47, 5, {"plasma_exchange", "immunosuppressant"}, {"sgpg"}, "5.5", 9, 3,
                3),
    "IGM-005": ("M", 62, 7, {"plasma_exchange", "immunosuppressant"}, {"mag", "sgpg"}, "3",
                16, 1, 3),
    "IGM-006": ("F", 81, 6, {"plasma_exchange", "immunosuppressant"}, {"mag", "sgpg"}, "4.7",
                6, 2, 4),
    "IGM-007": ("F", 53, 10, {"steroids", "immunosuppressant"}, {"sulfatide"}, "5", 7, 4, 3),
}
NOT_TREATED = ("IGM-008", "IGM-009", "IGM-010")
STOPPED = ("IGM-011", "IGM-012", "IGM-013")


def activity(code: str) -> set[str]:
    return {t["antigen"] for t in OUTCOMES[code]["titres_significant"] if t["isotype"] == "IgM"}


@pytest.mark.parametrize("code", sorted(TABLE2))
def test_table2_case(code):
    patient, outcome = BY_CODE[code], OUTCOMES[code]
    sex, age, course, prior, antigens, level, count, before, after = TABLE2[code]
    assert patient["table"] == "table2" and patient["case"] == int(code[-3:])
    assert patient["sex"] == sex
    assert age_at_first_series(patient) == age
    assert patient["series"][0]["started_on"].year - patient["onset_year"] == course
    assert {p["kind"] for p in patient["prior_treatments"]} == prior
    assert activity(code) == antigens
    levels = {p["serum_level_g_l"] for p in patient["paraproteins"] if p["isotype"] == "IgM"}
    assert levels == {Decimal(level)}
    assert len(patient["series"]) == count
    assert all(s["status"] == "given" for s in patient["series"])
    assert (outcome["disability"]["before"], outcome["disability"]["after"]) == (before, after)
    assert patient["visits"][0]["kind"] == "baseline"
    assert patient["visits"][0]["prineas_score"] == before
    assert patient["visits"][-1]["kind"] == "final"
    assert patient["visits"][-1]["prineas_score"] == after


def test_table2_results_4_improved_1_stable_2_deteriorated():
    results = Counter(OUTCOMES[code]["disability"]["result"] for code in TABLE2)
    assert results == {"improved": 4, "stable": 1, "deteriorated": 2}


def test_not_treated_before_two_of_three_improved():
    for code in NOT_TREATED:
        patient = BY_CODE[code]
        assert patient["prior_treatments"] == []
        assert 5 <= len(patient["series"]) <= 13  # "treated for five to 12 months"
        months = (patient["series"][-1]["started_on"] - patient["series"][0]["started_on"]).days
        assert 5 * 28 <= months + 28 <= 13 * 31
    results = Counter(OUTCOMES[code]["disability"]["result"] for code in NOT_TREATED)
    assert results == {"improved": 2, "stable": 1}
    assert all(OUTCOMES[c]["disability"]["change"] in (-1, 0) for c in NOT_TREATED)


@pytest.mark.parametrize("code", STOPPED)
def test_stopped_for_recurrent_rash(code):
    series = BY_CODE[code]["series"]
    assert 1 <= len(series) <= 3
    *earlier, last = series
    assert last["status"] == "stopped" and last["stop_reason"]
    assert any(e["kind"] == "rash" and e["led_to_stop"] for e in last["adverse_events"])
    for s in earlier:
        assert s["status"] == "given"
        assert not any(e["led_to_stop"] for e in s["adverse_events"])
    assert to_patient_in(BY_CODE[code]).series[-1].stopped_for_adverse_event


def test_only_the_three_rash_patients_stopped():
    stopped = {p["code"] for p in PATIENTS if any(s["status"] == "stopped" for s in p["series"])}
    assert stopped == set(STOPPED)


def test_table2_report_groups_and_summaries():
    rows = []
    for code in codes("IGM-"):
        patient, outcome = BY_CODE[code], OUTCOMES[code]
        level = next(p["serum_level_g_l"] for p in patient["paraproteins"])
        rows.append(Table2Input(
            case=code, sex=patient["sex"], age_at_first_series=age_at_first_series(patient),
            course_years=patient["series"][0]["started_on"].year - patient["onset_year"],
            prior_treatments=tuple(p["kind"] for p in patient["prior_treatments"]),
            antibody_activity=tuple(sorted(activity(code))), igm_serum_level_g_l=level,
            series_count=len(patient["series"]),
            prineas_before=outcome["disability"]["before"],
            prineas_after=outcome["disability"]["after"],
            prineas_change=outcome["disability"]["change"],
            result=outcome["disability"]["result"],
            stopped_for_adverse_event=any(
                s["status"] == "stopped" and any(e["led_to_stop"] for e in s["adverse_events"])
                for s in patient["series"]),
        ))
    report = table2(rows)
    groups = {g["group"]: [r["case"] for r in g["rows"]] for g in report["groups"]}
    assert groups == {"previously_treated": sorted(TABLE2), "not_treated": list(NOT_TREATED),
                      "stopped": list(STOPPED)}
    assert report["summary"] == [
        "previously treated: 4/7 improved one grade, 1/7 stable, 2/7 deteriorated",
        "not treated before IVIg: 2/3 improved one grade, 1/3 stable, 0/3 deteriorated",
        "stopped for an adverse event: 3 stopped IVIg for an adverse event",
    ]


# --- IgG polyneuropathy -------------------------------------------------------------------


def test_igg_axonal_no_response_demyelinating_improved():
    patterns = {code: BY_CODE[code]["neuropathy_pattern"] for code in codes("IGG-")}
    assert patterns == {"IGG-001": "axonal", "IGG-002": "axonal",
                        "IGG-003": "demyelinating", "IGG-004": "demyelinating"}
    for code in ("IGG-001", "IGG-002"):
        assert OUTCOMES[code]["disability"]["result"] == "stable"
    assert OUTCOMES["IGG-003"]["disability"]["result"] == "improved"
    for code in codes("IGG-"):
        patient = BY_CODE[code]
        assert patient["paraproteins"][0]["isotype"] == "IgG"
        assert patient["prior_treatments"] == [] and patient["titres"] == []
        span = (patient["series"][-1]["started_on"] - patient["series"][0]["started_on"]).days
        assert 2 * 28 <= span <= 3 * 366  # "from three months to three years"


def test_igg_004_good_response_then_back_to_baseline_over_three_years():
    patient, outcome = BY_CODE["IGG-004"], OUTCOMES["IGG-004"]
    series = patient["series"]
    assert len(series) >= 24
    assert (series[-1]["started_on"] - series[0]["started_on"]).days > 2.5 * 365
    days = [s["days"] for s in series]
    switch = days.index(2)
    assert set(days[:switch]) == {4} and set(days[switch:]) == {2}
    before = outcome["disability"]["before"]
    assert outcome["disability"]["after"] == before
    assert outcome["disability"]["result"] == "stable"
    early = [v["prineas_score"] for v in patient["visits"]
             if v["kind"] == "post_series" and v["series"] <= 3]
    assert min(early) < before
