"""Template helpers of the clinician pages: catalogue labels, badges and the score chart."""

from __future__ import annotations

import re
from datetime import date

import pygal
from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from pygal.style import Style

import catalogues as cat

register = template.Library()
SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)

CATALOGUES = {
    "diagnosis": cat.DIAGNOSES, "status": cat.OUTCOME_STATUSES, "grade": cat.RESPONSE_GRADES,
    "muscle": cat.MUSCLES, "nerve": cat.NERVES, "kind": cat.VISIT_KINDS,
    "block": cat.BLOCK_STATES, "evolution": cat.BLOCK_EVOLUTIONS,
    "disability": cat.DISABILITY_RESULTS, "side": cat.SIDES, "antigen": cat.ANTIGENS,
    "measure": cat.MEASURES,
    "tailoring_kind": cat.TAILORING_KINDS, "tailoring": cat.TAILORING_RESULTS,
}

CHART_STYLE = Style(
    background="white", plot_background="white", foreground="#222",
    foreground_strong="#111", foreground_subtle="#bbb", font_family="sans-serif",
    colors=("#1f5fa8", "#888888", "#b8461b", "#c99a00"), label_font_size=11,
    major_label_font_size=11, legend_font_size=12, tooltip_font_size=12,
    guide_stroke_color="#e1e4e7", major_guide_stroke_color="#e1e4e7",
    guide_stroke_dasharray="0", major_guide_stroke_dasharray="0",
)


@register.filter
def label(code, catalogue: str):
    """The human label of a catalogue code, in the page's language:
    ``{{ p.diagnosis|label:"diagnosis" }}`` (the code itself never changes)."""
    if code in (None, ""):
        return "—"
    return gettext(cat.label(CATALOGUES[catalogue], code)) if catalogue in CATALOGUES else code


@register.filter
def translated(text):
    """A label computed outside the page (a model's display value, a rule's final label),
    in the page's language: ``{{ v.get_kind_display|translated }}``. The English text is
    marked for translation in ``registry/i18n_labels.py`` (``manage.py i18n_labels``)."""
    if text in (None, ""):
        return text
    return gettext(str(text))


@register.filter
def titre(value):
    """A reciprocal titre as the paper writes it: 3200 → "1/3200", 0 → "0" (negative)."""
    if value in (None, ""):
        return "—"
    return "0" if value == 0 else f"1/{value}"


@register.inclusion_tag("includes/badge.html")
def badge(value, catalogue: str = "status", prefix: str = ""):
    text = label(value, catalogue) if value not in (None, "") else "—"
    return {"value": value or "none", "text": text, "prefix": prefix}


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


TAILORING_SHADE = "#5b8c5a"


def _shade_tailoring(chart, episodes: list[dict], *, top) -> None:
    """Each tailoring episode's window (clinical-rules.md §10), as the stored outcome
    computed it, shaded from its start to its end (today at the latest) and named in the
    legend with its result; drawn after the score so ``.serie-0`` stays the visits."""
    if not episodes:
        return
    today = date.today()
    for episode in episodes:
        start = _day(episode["started_on"])
        end = max(start, min(_day(episode["window_ends_on"]), today))
        result = cat.label(cat.TAILORING_RESULTS, episode["result"])
        if episode.get("relapse_on"):
            result = f"relapse on {episode['relapse_on']}"
        chart.add(f"{cat.label(cat.TAILORING_KINDS, episode['kind'])} from"
                  f" {start.isoformat()}: {result}",
                  [(start, top), (end, top)], fill=True, show_dots=False,
                  stroke_style={"width": 0})
    used = len(chart.raw_series) - len(episodes)
    colors = tuple(CHART_STYLE.colors[i % len(CHART_STYLE.colors)] for i in range(used))
    chart.config.style = Style(**{**CHART_STYLE.__dict__, "opacity": ".18",
                                  "opacity_hover": ".3",
                                  "colors": colors + (TAILORING_SHADE,) * len(episodes)})


@register.simple_tag
def score_chart(result: dict, series) -> str:
    """Target-muscle score per visit; baseline as a line, series on the time axis.

    Server-side SVG (pygal, no script): every visit is one ``.serie-0 .dot`` element.
    The trough visit of each wear-off (clinical-rules.md §2), as the stored outcome names
    it, is marked.
    """
    visits = [v for v in (result or {}).get("visits", []) if v.get("score") is not None]
    if not visits:
        return ""
    points = [(_day(v["visited_on"]), v["score"]) for v in visits]
    chart = pygal.DateLine(
        js=[], disable_xml_declaration=True, style=CHART_STYLE, height=320, width=900,
        explicit_size=False, dots_size=4, x_label_rotation=30,
        x_value_formatter=lambda d: d.strftime("%Y-%m-%d"), legend_at_bottom=True,
        title=gettext("Target-muscle score per visit"), include_x_axis=False, truncate_legend=-1,
    )
    chart.add(gettext("Target-muscle score"), [
        {"value": point, "label": gettext(cat.label(cat.VISIT_KINDS, v["kind"])) + (
            ", " + gettext("series %(number)s") % {"number": v["series"]}
            if v.get("series") else "")}
        for point, v in zip(points, visits, strict=True)
    ])
    first, last = points[0][0], points[-1][0]
    dates = [s.started_on for s in series]
    if dates:
        first, last = min(first, dates[0]), max(last, dates[-1])
    baseline = result.get("baseline_score")
    if baseline is not None:
        chart.add(gettext("Baseline"), [(first, baseline), (last, baseline)], show_dots=False,
                  stroke_style={"width": 3, "dasharray": "8, 4"})
    scores = [score for _, score in points] + ([baseline] if baseline is not None else [])
    low = max(0, min(scores) - 1)
    if dates:
        chart.add(gettext("IVIg series"), [
            {"value": (s.started_on, low),
             "label": gettext("Series %(number)s") % {"number": s.number}} for s in series
        ], stroke=False, dots_size=6)
        chart.x_labels = dates
    # The trough visits are the ones the rules measured (§1's pre visit), by id.
    wear_off = {w["pre_visit"]: w for w in result.get("wear_off_intervals", [])
                if w.get("pre_visit") is not None}
    troughs = [(point, v) for point, v in zip(points, visits, strict=True)
               if v["id"] in wear_off]
    if troughs:
        chart.add(gettext("Wear-off trough"), [
            {"value": point, "label": gettext("before series %(number)s: −%(drop)s") % {
                "number": wear_off[v["id"]]["before_series"], "drop": wear_off[v["id"]]["drop"]}}
            for point, v in troughs
        ], stroke=False, dots_size=6)
    _shade_tailoring(chart, result.get("tailoring") or [], top=max(scores))
    # pygal still writes its config as an inline script: unused without its JS, so dropped
    # (no script of any kind on a page that may run under a strict CSP).
    svg = SCRIPT.sub("", chart.render(is_unicode=True))
    return mark_safe(svg)  # pygal escapes every label it draws


@register.simple_tag
def score_points(result: dict) -> list[dict]:
    """The chart's points as rows, its text alternative (a table under the chart): the
    scored visits of the stored outcome, as the chart draws them."""
    return [
        {"visited_on": _day(v["visited_on"]), "kind": v.get("kind"), "series": v.get("series"),
         "score": v["score"]}
        for v in (result or {}).get("visits", []) if v.get("score") is not None
    ]


@register.filter
def iso_date(value):
    """An ISO date string of a stored outcome ("2024-01-15") as a date, for
    ``|date:"SHORT_DATE_FORMAT"``; a date passes through, anything else is left as it is
    (the stored data never change)."""
    if isinstance(value, date) or value in (None, ""):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return value
def _measure_svg(code: str, row: dict, visits: list[dict], series, tailoring: list[dict]) -> str:
    """One §9 measure's chart: its stored per-visit scores, its baseline line and MCID band
    (baseline ± MCID), the series on the time axis, the tailoring windows shaded. A
    lower-is-better scale is drawn with an inverted y axis, so that up is better."""
    points = [(_day(v["visited_on"]), v["scores"][code]) for v in visits]
    lower = cat.MEASURE_BETTER.get(code) == "lower"
    name = gettext(cat.label(cat.MEASURES, code))
    title = name + (" — " + gettext("lower is better, drawn upwards") if lower else "")
    chart = pygal.DateLine(
        js=[], disable_xml_declaration=True, style=CHART_STYLE, height=300, width=900,
        explicit_size=False, dots_size=4, x_label_rotation=30, inverse_y_axis=lower,
        x_value_formatter=lambda d: d.strftime("%Y-%m-%d"), legend_at_bottom=True,
        title=title, include_x_axis=False, truncate_legend=-1,
    )
    chart.add(name, [
        {"value": point, "label": gettext(cat.label(cat.VISIT_KINDS, v["kind"])) + (
            ", " + gettext("series %(number)s") % {"number": v["series"]}
            if v.get("series") else "")}
        for point, v in zip(points, visits, strict=True)
    ])
    first, last = points[0][0], points[-1][0]
    dates = [s.started_on for s in series]
    if dates:
        first, last = min(first, dates[0]), max(last, dates[-1])
    values = [value for _, value in points]
    baseline, mcid = row.get("baseline"), row.get("mcid")
    if baseline is not None:
        chart.add(gettext("Baseline"), [(first, baseline), (last, baseline)], show_dots=False,
                  stroke_style={"width": 3, "dasharray": "8, 4"})
        values.append(baseline)
        if mcid:
            band = (baseline - mcid, baseline + mcid)  # one series, two lines: one legend
            chart.add(gettext("Baseline ± MCID (%(mcid)s)") % {"mcid": mcid},
                      [(first, band[0]), (last, band[0]), (None, None),
                       (first, band[1]), (last, band[1])], show_dots=False,
                      allow_interruptions=True, stroke_style={"width": 1, "dasharray": "2, 3"})
            values.extend(band)
    low, high = min(values), max(values)
    if dates:
        # the series sit on the chart's bottom edge: the worst end of the scale
        chart.add(gettext("IVIg series"), [
            {"value": (s.started_on, high if lower else low),
             "label": gettext("Series %(number)s") % {"number": s.number}} for s in series
        ], stroke=False, dots_size=6)
        chart.x_labels = dates
    _shade_tailoring(chart, tailoring, top=high)
    return mark_safe(SCRIPT.sub("", chart.render(is_unicode=True)))  # pygal escapes labels


@register.simple_tag
def measure_charts(result: dict, series, only: str | None = None) -> list[dict]:
    """One chart per measure recorded at a visit, read from the stored outcome (its
    visits' ``scores`` and its ``measures`` rows: baseline, MCID), with the chart's points
    (its text alternative); ``only``: that measure's chart alone. Nothing is judged here."""
    result = result or {}
    rows = {row["measure"]: row for row in result.get("measures", [])}
    visits = result.get("visits", [])
    codes = [code for code, _ in cat.MEASURES if code != "mrc_targets"
             and code == (only or code)
             and any((v.get("scores") or {}).get(code) is not None for v in visits)]
    series = list(series)
    charts = []
    for code in codes:
        scored = [v for v in visits if (v.get("scores") or {}).get(code) is not None]
        row = rows.get(code, {})
        charts.append({
            "measure": code, "lower_is_better": cat.MEASURE_BETTER.get(code) == "lower",
            "baseline": row.get("baseline"), "mcid": row.get("mcid"),
            "svg": _measure_svg(code, row, scored, series, result.get("tailoring") or []),
            "points": [{"visited_on": _day(v["visited_on"]), "kind": v.get("kind"),
                        "series": v.get("series"), "score": v["scores"][code]}
                       for v in scored],
        })
    return charts
