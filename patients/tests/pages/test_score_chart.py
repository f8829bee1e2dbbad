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
                            "pre_score": 13, "drop": 5}],
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
