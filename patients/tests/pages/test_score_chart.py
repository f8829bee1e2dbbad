from datetime import date
from types import SimpleNamespace
from xml.etree import ElementTree

from patients.templatetags.registry import score_chart

RESULT = {
    "baseline_score": 10,
    "visits": [
        {"id": 1, "visited_on": "1994-01-01", "kind": "baseline", "series": None, "score": 10},
        {"id": 2, "visited_on": "1994-01-20", "kind": "post_series", "series": 1, "score": 18},
        {"id": 3, "visited_on": "1994-02-07", "kind": "pre_series", "series": 2, "score": 13},
        {"id": 4, "visited_on": "1994-02-20", "kind": "post_series", "series": 2, "score": None},
    ],
    "wear_off_intervals": [{"after_series": 1, "before_series": 2, "post_score": 18,
                            "pre_score": 13, "drop": 5, "post_visit": 2, "pre_visit": 3}],
}
SERIES = [SimpleNamespace(number=1, started_on=date(1994, 1, 10)),
          SimpleNamespace(number=2, started_on=date(1994, 2, 7))]


def test_one_dot_per_scored_visit_and_series_and_trough():
    svg = score_chart(RESULT, SERIES)
    assert svg.startswith("<svg") and "<script" not in svg
    tree = ElementTree.fromstring(svg)
    dots = {}
    for group in tree.iter("{http://www.w3.org/2000/svg}g"):
        classes = group.get("class", "").split()
        if "series" in classes:
            serie = next(c for c in classes if c.startswith("serie-"))
            dots[serie] = dots.get(serie, 0) + sum(
                1 for e in group.iter() if "dot" in e.get("class", "").split()
            )
    # scores, baseline (a line), series on the time axis, wear-off trough
    assert dots == {"serie-0": 3, "serie-1": 0, "serie-2": 2, "serie-3": 1}
    assert "Baseline" in svg and "Wear-off trough" in svg
    assert "1994-02-07" in svg


def test_nothing_to_draw():
    assert score_chart({"visits": []}, []) == ""
    assert score_chart({}, SERIES) == ""


def _trough_labels(svg: str) -> list[str]:
    tree = ElementTree.fromstring(svg)
    labels = []
    for group in tree.iter("{http://www.w3.org/2000/svg}g"):
        classes = group.get("class", "").split()
        if "series" in classes and "serie-3" in classes:
            labels += [e.text for e in group.iter() if e.text and "before series" in e.text]
    return labels


def test_the_trough_is_the_visit_the_rules_measured_even_an_unlinked_one():
    # §1: with no pre_series visit, the trough is the last unlinked visit before series 2
    # (here a follow-up); the chart marks that visit, by id, not any pre_series visit.
    result = {**RESULT, "visits": [
        *RESULT["visits"][:2],
        {"id": 5, "visited_on": "1994-02-03", "kind": "follow_up", "series": None, "score": 12},
        {"id": 3, "visited_on": "1994-02-07", "kind": "pre_series", "series": 3, "score": 17},
    ], "wear_off_intervals": [{**RESULT["wear_off_intervals"][0], "pre_visit": 5,
                               "pre_score": 12, "drop": 6}]}
    svg = score_chart(result, SERIES)
    assert "Wear-off trough" in svg
    assert _trough_labels(svg) == ["before series 2: −6"]
