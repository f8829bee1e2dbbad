"""clinical-rules.md §8: Table 1 (MMN) and Table 2 (IgM) as live reports."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from treatments.rules import TitreIn, compute_outcome, disability_change
from treatments.rules.defaults import SEED_1
from treatments.rules.reports import (
    Table1Input,
    Table2Input,
    as_csv_rows,
    gm1_titre_before_ivig,
    table1,
    table2,
)
from treatments.tests.rules.builders import SEED_INPUTS, mmn_patient

# The paper's Table 1, rebuilt from visit scores (baseline, post scores, troughs,
# follow-ups) that give its first response, N* and final result.
TABLE_1 = {
    "1": (mmn_patient(5, [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 25, 25, 25]), 0),
    "2": (mmn_patient(10, [11, 12, 13, 14, 15, 15, 14, 9]), 1600),
    "3": (mmn_patient(5, [16, 17, 18, 19, 20, 21, 21, 21], follow_ups=[9, 9]), 400),
    "4": (mmn_patient(9, [20, 21, 22, 23, 24, 25], follow_ups=[25, 25]), 12800),
    "5": (mmn_patient(10, [15, 16, 17, 18, 19, 19, 19, 19],
                      pres=[13, 14, 15, 16, 17, 17, 17]), 3200),
    "6": (mmn_patient(10, [10, 10, 10]), 3200),
}
EXPECTED_TABLE_1 = {
    "1": ("dramatic", 10, "Persistent improvement"),
    "2": ("slight", 5, "Deterioration"),
    "3": ("dramatic", 6, "Slight persistent improvement"),
    "4": ("dramatic", 6, "Persistent improvement"),
    "5": ("mild", 5, "Mild persistent improvement if repeated"),
    "6": ("none", None, "No response"),
}


def table1_rows():
    rows = []
    for case, (patient, titre) in TABLE_1.items():
        with_titre = replace(patient, titres=(
            TitreIn(date(2023, 12, 1), "gm1", "IgM", "elisa", Decimal(titre)),))
        result = compute_outcome(with_titre, **SEED_INPUTS).as_dict()
        value, significant = gm1_titre_before_ivig(result)
        rows.append(Table1Input(
            case=f"MMN-00{case}", sex="M", age_at_first_series=40, course_years=5,
            affected_nerves=(("L", "ulnar"), ("R", "median"), ("L", "radial")),
            series_count=len(patient.series), outcome=result,
            gm1_titre_before_ivig=value, gm1_significant=significant,
        ))
    return rows


def test_table1_reproduces_the_papers_rows():
    report = table1(list(reversed(table1_rows())))
    assert [(r["case"], r["first_response"], r["n_star"], r["final_result"])
            for r in report["rows"]] == [
        (f"MMN-00{case}", *expected) for case, expected in EXPECTED_TABLE_1.items()]
    assert [r["series_count"] for r in report["rows"]] == [13, 8, 8, 6, 8, 3]


def test_table1_summary_lines_match_the_paper():
    report = table1(table1_rows())
    assert report["summary"] == [
        "initial response dramatic in 3/6",
        "final good result in 4/6",
        "significantly high anti-GM1 in 4/6",
    ]


def test_table1_distribution_groups_nerves_by_side_in_catalogue_order():
    row = table1(table1_rows()[:1])["rows"][0]
    assert row["distribution"] == "R median, L ulnar + radial"
    assert row["affected_nerves"][0] == {"side": "R", "nerve": "median"}


def test_table1_of_no_patients():
    assert table1([])["summary"] == ["initial response dramatic in 0/0",
                                     "final good result in 0/0",
                                     "significantly high anti-GM1 in 0/0"]


def test_gm1_titre_before_ivig_prefers_elisa_and_is_empty_without_one():
    outcome = {"titres_before_ivig": [
        {"antigen": "gm1", "isotype": "IgM", "method": "tlc", "unit": "dilution", "value": 400,
         "significant": False},
        {"antigen": "gm1", "isotype": "IgM", "method": "elisa", "unit": "dilution",
         "value": 3200, "significant": True},
    ]}
    assert gm1_titre_before_ivig(outcome) == (3200, True)
    assert gm1_titre_before_ivig({"titres_before_ivig": []}) == (None, None)


def igm(case, before, after, prior=("plasma_exchange", "immunosuppressant"), stopped=False,
        antibodies=("mag", "sgpg"), rules=SEED_1):
    # What the stored outcome holds: its disability judgement under its own rule set.
    stored = disability_change(before, after, rules=rules)
    return Table2Input(case=case, sex="M", age_at_first_series=60, course_years=7,
                       prior_treatments=prior, antibody_activity=antibodies,
                       igm_serum_level_g_l=Decimal("4.7"), series_count=10,
                       prineas_before=before, prineas_after=after,
                       prineas_change=stored.change,
                       result=None if stored.result is None else str(stored.result),
                       stopped_for_adverse_event=stopped)


# The paper's Table 2 (previously treated) and its text (2/3 not treated improved;
# three stopped for recurrent allergic rashes).
TABLE_2 = [
    igm("IGM-01", 3, 2, prior=("steroids", "plasma_exchange", "immunosuppressant"),
        antibodies=("gd1a", "gd1b")),
    igm("IGM-02", 4, 3, prior=("immunosuppressant",)),
    igm("IGM-03", 3, 2),
    igm("IGM-04", 3, 3, antibodies=("sgpg",)),
    igm("IGM-05", 1, 3),
    igm("IGM-06", 2, 4),
    igm("IGM-07", 4, 3, prior=("steroids", "immunosuppressant"), antibodies=("sulfatide",)),
    igm("IGM-08", 3, 2, prior=()),
    igm("IGM-09", 2, 1, prior=()),
    igm("IGM-10", 3, 3, prior=()),
    igm("IGM-11", 3, 4, stopped=True),
    igm("IGM-12", 2, None, prior=(), stopped=True),
    igm("IGM-13", 3, 3, stopped=True),
]


def test_table2_groups_rows_and_counts_stopped_apart():
    report = table2(TABLE_2)
    groups = {g["group"]: [r["case"] for r in g["rows"]] for g in report["groups"]}
    assert groups == {
        "previously_treated": [f"IGM-0{i}" for i in range(1, 8)],
        "not_treated": ["IGM-08", "IGM-09", "IGM-10"],
        "stopped": ["IGM-11", "IGM-12", "IGM-13"],
    }


def test_table2_summary_lines_match_the_paper():
    report = table2(TABLE_2)
    assert report["summary"] == [
        "previously treated: 4/7 improved one grade, 1/7 stable, 2/7 deteriorated",
        "not treated before IVIg: 2/3 improved one grade, 1/3 stable, 0/3 deteriorated",
        "stopped for an adverse event: 3 stopped IVIg for an adverse event",
    ]


def test_table2_a_patient_without_scores_is_counted_but_not_as_a_non_responder():
    report = table2([igm("A", 3, 2, prior=()), igm("B", 3, None, prior=())])
    assert report["groups"][1]["summary"] == (
        "1/2 improved one grade, 0/2 stable, 0/2 deteriorated, 1/2 without scores")


def test_table2_reads_the_stored_result_never_recomputes_it_with_seed_1():
    # A rule set asking for two grades: a one-grade gain is "stable" in the stored
    # outcome, and Table 2 must say the same (seed-1 would say "improved").
    strict = replace(SEED_1, version="strict-1", disability_improved_change=-2)
    report = table2([igm("A", 3, 2, prior=(), rules=strict)])
    row = report["groups"][1]["rows"][0]
    assert (row["prineas_change"], row["result"]) == (-1, "stable")
    assert report["groups"][1]["counts"]["stable"] == 1
    assert report["groups"][1]["counts"]["improved"] == 0


def test_table2_rows_carry_the_papers_columns():
    row = table2(TABLE_2)["groups"][0]["rows"][0]
    assert row["prior_treatments_label"] == "Steroids + Plasma exchange + Immunosuppressant"
    assert row["antibody_activity"] == ["gd1a", "gd1b"]
    assert row["igm_serum_level_g_l"] == 4.7
    assert (row["prineas_before"], row["prineas_after"], row["result"]) == (3, 2, "improved")


def test_csv_rows_have_a_header_and_one_line_per_case():
    rows1 = as_csv_rows(table1(table1_rows()))
    assert rows1[0][:3] == ["case", "sex", "age"]
    assert len(rows1) == 7
    header = rows1[0]
    gm1 = header.index("gm1_titre_before_ivig")
    assert rows1[1][gm1:gm1 + 2] == ["0", "no"]
    assert header[-2:] == ["conduction_blocks_first", "conduction_blocks_latest"]
    assert rows1[1][-2:] == ["", ""]  # no nerve study
    assert all(isinstance(cell, str) for row in rows1 for cell in row)
    rows2 = as_csv_rows(table2(TABLE_2))
    assert rows2[0][0] == "group"
    assert len(rows2) == 14
    assert rows2[1][5] == "steroids; plasma_exchange; immunosuppressant"
    assert rows2[12][10] == ""
