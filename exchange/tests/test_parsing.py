"""Reading import files: every cell checked, every problem located by file, line and column."""

from datetime import date
from decimal import Decimal

import pytest

from exchange.datasets import BY_NAME
from exchange.parsing import Problem, parse_file

VISITS = BY_NAME["visits"]


def where(problems: list[Problem]) -> list[tuple[int, str]]:
    return [(p.line, p.column) for p in problems]


def test_cells_are_parsed_to_their_types():
    text = ("patient,visited_on,kind,series,examiner,functional_score,prineas_score,notes\n"
            "MMN-001,1994-01-03,post_series,2,Dr A,3.0,,  kept as typed \n")
    parsed = parse_file(VISITS, text)
    assert parsed.problems == []
    (line,) = parsed.lines
    assert line.number == 2
    assert line.values == {
        "patient": "MMN-001", "visited_on": date(1994, 1, 3), "kind": "post_series",
        "series": 2, "examiner": "Dr A", "functional_score": 3, "prineas_score": None,
        "notes": "  kept as typed ",
    }


def test_decimals_booleans_and_computed_columns():
    parsed = parse_file(BY_NAME["adverse_events"], "patient,series,kind,severity,led_to_stop\n"
                                                   "X-1,1,rash,mild,TRUE\nX-1,2,fever,mild,no\n")
    assert [line.values["led_to_stop"] for line in parsed.lines] == [True, False]
    parsed = parse_file(BY_NAME["titres"], "patient,sampled_on,antigen,isotype,method,value,"
                                           "unit,significant\nX-1,1994-01-01,gm1,IgM,elisa,"
                                           "3200.50,dilution,whatever\n")
    assert parsed.problems == []
    assert parsed.lines[0].values["value"] == Decimal("3200.50")
    assert "significant" not in parsed.lines[0].values  # computed: ignored on import


def test_every_bad_cell_is_reported_with_line_and_column():
    text = ("patient,visited_on,kind,series,functional_score\n"
            "MMN-001,03/01/1994,baseline,,\n"
            "MMN-001,1994-01-04,checkup,,\n"
            ",1994-01-05,baseline,,2.5\n"
            "MMN-001,1994-01-06,post_series,two,\n"
            "MMN-001,1994-01-07,follow_up,,\n")
    parsed = parse_file(VISITS, text)
    assert where(parsed.problems) == [(2, "visited_on"), (3, "kind"), (4, "patient"),
                                      (4, "functional_score"), (5, "series")]
    assert parsed.problems[0].message == "'03/01/1994' is not a date: write it as YYYY-MM-DD."
    assert "use one of baseline, pre_series" in parsed.problems[1].message
    assert parsed.problems[2].message == "This field is required."
    assert [line.number for line in parsed.lines] == [6]
    assert [line.number for line in parsed.rejected] == [2, 3, 4, 5]
    assert parsed.rejected[0].values["kind"] == "baseline"  # what could be read is kept


def test_header_problems_reject_the_file():
    parsed = parse_file(VISITS, "patient,visited_on,comment,patient\nMMN-1,1994-01-01,x,y\n")
    assert where(parsed.problems) == [(1, "comment"), (1, "patient"), (1, "kind")]
    assert [p.message for p in parsed.problems] == [
        "Unknown column 'comment' in visits.csv.", "Column 'patient' appears twice.",
        "The required column 'kind' is missing."]
    assert parsed.lines == []


def test_empty_files_and_short_rows():
    assert parse_file(VISITS, "").problems[0].message.startswith("The file is empty")
    parsed = parse_file(VISITS, "patient,visited_on,kind\nMMN-1,1994-01-01\n\n")
    assert parsed.problems == [Problem("visits.csv", 2, "", (
        "Expected 3 cells as in the header, found 2."))]


def test_line_numbers_count_physical_lines():
    text = ('\ufeffpatient,visited_on,kind,notes\r\n'
            'MMN-1,1994-01-01,baseline,"two\r\nlines"\r\n'
            'MMN-1,1994-01-02,follow-up,\r\n')
    parsed = parse_file(VISITS, text)
    assert parsed.lines[0].values["notes"] == "two\r\nlines"
    assert where(parsed.problems) == [(4, "kind")]


@pytest.mark.parametrize("raw", ["Infinity", "NaN", "abc", "1,5"])
def test_numbers_must_be_finite_decimals(raw):
    text = f'patient,measured_on,isotype,serum_level_g_l\nX,1994-01-01,IgM,"{raw}"\n'
    parsed = parse_file(BY_NAME["paraproteins"], text)
    assert where(parsed.problems) == [(2, "serum_level_g_l")]


def test_a_value_read_before_is_the_same_and_a_bad_one_is_reported_each_time():
    text = ("patient,visited_on,kind,series,functional_score,notes\n"
            "MMN-001,1994-01-03,baseline,,3,a\n"
            "MMN-001,1994-01-03,baseline,,3,a\n"
            "MMN-001,1994-13-03,baseline,,x,b\n"
            "MMN-001,1994-13-03,baseline,,x,b\n"
            "MMN-001,1994-01-03,baseline,,3,\n")
    parsed = parse_file(VISITS, text)
    assert where(parsed.problems) == [(4, "visited_on"), (4, "functional_score"),
                                      (5, "visited_on"), (5, "functional_score")]
    assert [line.number for line in parsed.lines] == [2, 3, 6]
    first, second, last = parsed.lines
    assert first.values == second.values
    assert first.values["visited_on"] is second.values["visited_on"]  # one object, shared
    assert last.values["notes"] == "" and last.values["functional_score"] == 3
    assert [line.values for line in parsed.rejected] == [
        {"patient": "MMN-001", "kind": "baseline", "series": None, "notes": "b"}] * 2
