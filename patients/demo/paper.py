"""The source paper's 23 patients as plain demo data (no Django, no database).

Source: "Human immunoglobulin treatment of multifocal motor neuropathy and
polyneuropathy associated with monoclonal gammopathy" (``shared/seed``):

* ``MMN-001`` … ``MMN-006``: Table 1, cases 1–6 (``"table": "table1"``).
* ``IGM-001`` … ``IGM-007``: Table 2, cases 1–7, IgM polyneuropathy previously
  treated (``"table": "table2"``).
* ``IGM-008`` … ``IGM-010``: the three IgM cases "not treated before IVIg" and
  ``IGM-011`` … ``IGM-013``: the three whose IVIg "was stopped because of recurrent
  allergic rashes"; described in the text only (``"table": "text"``, ``case``
  numbers continue the IgM numbering, 8–13).
* ``IGG-001`` … ``IGG-004``: the four IgG polyneuropathies of the text
  (``"table": "text"``, cases 1–4).

What the paper reports is kept exactly (sex, age at the first series, course in
years, affected nerves, number of series, anti-GM1 titres, Table 2's treatments,
antibody activities, IgM levels and Prineas scores before/after). Everything the
paper does not give is CONSTRUCTED and marked so below: all dates, names,
weights, lots, every visit-level grade (MRC, functional, Prineas between the
paper's before/after), every nerve-conduction value and the titres' values in
Table 2. The visit-level grades are built so that the clinical rules
(``shared/spec/clinical-rules.md``, ``treatments.rules``) compute exactly the
paper's results: first response, N*, final result, 4/6 significant anti-GM1,
4 improved / 1 stable / 2 deteriorated in Table 2, 2/3 improved not treated before.

The module is deterministic: the small helpers below only expand the per-patient
constructed courses into the plain lists of dicts, dates, Decimals and tuples
that ``PATIENTS`` holds (field names of ``shared/spec/api.md``).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

CENTRE = {"code": "DEMO", "name": "Demo neurology department"}  # constructed

PRODUCT = "IVIg (Bio-Transfusion)"  # paper: "IVIg (Bio-Transfusion)"
EXAMINER = "Demo examiner"  # paper: "the same examiner"; the name is constructed

MuscleSide = tuple[str, str]
Grid = dict[MuscleSide, int]

_SIDES = ("R", "L")

# constructed: the recorded motor segment of each nerve (distal, proximal stimulation
# site; snake-case site codes as in treatments.rules.defaults).
_SITES = {
    "median": ("wrist", "elbow"),
    "ulnar": ("wrist", "below_elbow"),
    "radial": ("forearm", "above_elbow"),
    "peroneal": ("ankle", "below_fibular_head"),
}
# constructed: distal CMAP negative-peak duration (ms) per nerve.
_DURATIONS = {"median": 5.6, "ulnar": 5.2, "radial": 5.0, "peroneal": 5.8}


def _days(n: int) -> timedelta:
    return timedelta(days=n)


def _schedule(spec: Any, number: int) -> Any:
    """A value, or ``{from_series: value}`` giving the value from that series on."""
    if isinstance(spec, dict):
        return spec[max(k for k in spec if k <= number)]
    return spec


def _starts(first: date, count: int, pattern: tuple[int, ...]) -> list[date]:
    """Monthly start dates: intervals cycle through ``pattern`` (28 or 35 days, so
    every series starts on the same weekday)."""
    starts = [first]
    for i in range(1, count):
        starts.append(starts[-1] + _days(pattern[(i - 1) % len(pattern)]))
    return starts


def _lots(started_on: date, salt: int, count: int) -> list[str]:
    """Constructed lot numbers: six lots are in use each month (``BTyy-mmkk``), so
    patients treated in the same month share some of them."""
    pool = [f"BT{started_on.year % 100:02d}-{started_on.month:02d}{k}" for k in range(11, 17)]
    return [pool[(salt + i) % len(pool)] for i in range(count)]


def _monthly_series(first: date, count: int, *, pattern: tuple[int, ...], days: Any,
                    dose: Any, weight: str, salt: int) -> list[dict]:
    """Constructed: ``count`` monthly series (dates, days, dose, weight, lots)."""
    series = []
    for number, started_on in enumerate(_starts(first, count, pattern), start=1):
        series.append({
            "number": number,
            "started_on": started_on,
            "days": _schedule(days, number),
            "dose_g_per_kg": Decimal(_schedule(dose, number)),
            "weight_kg": Decimal(weight),
            "product": PRODUCT,
            "lot_numbers": _lots(started_on, salt + number, 2 + (salt + number) % 2),
            "status": "given",
            "stop_reason": "",
            "adverse_events": [],
        })
    return series


def _grid(muscles: tuple[str, ...], weak: Grid) -> Grid:
    """Constructed baseline MRC grid: both sides of ``muscles``, 5 unless ``weak``."""
    grid = {(muscle, side): 5 for muscle in muscles for side in _SIDES}
    grid.update(weak)
    return grid


def _mrc(grid: Grid, targets: tuple[MuscleSide, ...], score: int) -> Grid:
    """The baseline grid with the target muscles moved to sum ``score``: a gain goes
    one grade at a time to the weakest target, a loss comes off the strongest."""
    grades = dict(grid)
    delta = score - sum(grades[t] for t in targets)
    for _ in range(abs(delta)):
        if delta > 0:
            muscle = min((t for t in targets if grades[t] < 5), key=lambda t: grades[t])
            grades[muscle] += 1
        else:
            muscle = max((t for t in targets if grades[t] > 0), key=lambda t: grades[t])
            grades[muscle] -= 1
    return grades


def _visit(on: date, kind: str, series: int | None, *, mrc: Grid | None = None,
           functional: int | None = None, prineas: int | None = None, notes: str = "") -> dict:
    return {
        "visited_on": on,
        "kind": kind,
        "series": series,
        "examiner": EXAMINER,
        "mrc": dict(mrc or {}),
        "functional_score": functional,
        "prineas_score": prineas,
        "notes": notes,
    }


def _mmn_visits(series: list[dict], grid: Grid, targets: tuple[MuscleSide, ...], *,
                posts: list[int], follow_up: int, final: int, functional: int,
                pres: dict[int, int] | None = None, notes: dict[str, str] | None = None
                ) -> list[dict]:
    """Constructed MRC course of an MMN patient.

    Baseline 14 days before series 1; for each series a ``pre_series`` visit on its
    first day (the trough: the previous post score unless ``pres`` says otherwise)
    and a ``post_series`` visit 14 days later (``posts``); then a ``follow_up``
    visit 42 days and the ``final`` visit 84 days after the last series started.
    The functional score (adapted Rankin, 0–5) follows the mean gain.
    """
    pres = pres or {}
    notes = notes or {}
    base = sum(grid[t] for t in targets)

    def visit(on: date, kind: str, number: int | None, score: int, note: str = "") -> dict:
        gain = score - base
        if gain >= 0:
            score_f = max(0, functional - gain // len(targets))
        else:
            score_f = min(5, functional + (1 if gain <= -2 else 0))
        return _visit(on, kind, number, mrc=_mrc(grid, targets, score), functional=score_f,
                      notes=note)

    first = series[0]["started_on"]
    visits = [visit(first - _days(14), "baseline", None, base, notes.get("baseline", ""))]
    for item, post in zip(series, posts, strict=True):
        number = item["number"]
        pre = base if number == 1 else pres.get(number, posts[number - 2])
        visits.append(visit(item["started_on"], "pre_series", number, pre))
        visits.append(visit(item["started_on"] + _days(14), "post_series", number, post))
    last = series[-1]["started_on"]
    visits.append(visit(last + _days(42), "follow_up", None, follow_up,
                        notes.get("follow_up", "")))
    visits.append(visit(last + _days(84), "final", None, final, notes.get("final", "")))
    return visits


def _course(before: int, changes: dict[int, int], number: int) -> int:
    """Prineas score after series ``number``: ``before`` until the first change."""
    score = before
    for start, value in sorted(changes.items()):
        if number >= start:
            score = value
    return score


def _pn_visits(series: list[dict], *, before: int, changes: dict[int, int],
               notes: dict[int, str] | None = None) -> list[dict]:
    """Constructed Prineas course of a polyneuropathy patient.

    Baseline 14 days before series 1 carries the paper's "before" score; each
    series has a ``pre_series`` visit on its first day and a ``post_series`` visit
    14 days later (score ``_course``), and the ``final`` visit 42 days after the
    last series started carries the "after" score. No functional score: the paper
    reports the Prineas score only.
    """
    notes = notes or {}
    first = series[0]["started_on"]
    visits = [_visit(first - _days(14), "baseline", None, prineas=before)]
    for item in series:
        number = item["number"]
        pre = before if number == 1 else _course(before, changes, number - 1)
        visits.append(_visit(item["started_on"], "pre_series", number, prineas=pre))
        visits.append(_visit(item["started_on"] + _days(14), "post_series", number,
                             prineas=_course(before, changes, number),
                             notes=notes.get(number, "")))
    last = series[-1]["started_on"]
    after = _course(before, changes, series[-1]["number"])
    visits.append(_visit(last + _days(42), "final", None, prineas=after))
    return visits


def _segment(nerve: str, side: str, amplitude: float, amplitude_ratio: float,
             area_ratio: float, duration_change: float, velocity: float) -> dict:
    """One motor segment: distal values and proximal = distal × ratio (constructed)."""
    distal_site, proximal_site = _SITES[nerve]
    duration = _DURATIONS[nerve]
    area = amplitude * duration * 0.55
    return {
        "nerve": nerve,
        "side": side,
        "distal_site": distal_site,
        "proximal_site": proximal_site,
        "distal_amplitude_mv": round(amplitude, 1),
        "proximal_amplitude_mv": round(amplitude * amplitude_ratio, 1),
        "distal_area_mvms": round(area, 1),
        "proximal_area_mvms": round(area * area_ratio, 1),
        "distal_duration_ms": duration,
        "proximal_duration_ms": round(duration * (1 + duration_change), 1),
        "velocity_m_s": velocity,
    }


# (nerve, side, distal amplitude mV, proximal/distal amplitude, proximal/distal area,
#  duration change, velocity m/s); a ratio below 0.5 is a partial conduction block.
SegmentSpec = tuple[str, str, float, float, float, float, float]


def _studies(dates: list[date], specs: list[SegmentSpec]) -> list[dict]:
    """Constructed nerve-conduction studies. The blocks persist: at each later study
    their proximal/distal ratios rise by 0.03 only ("the conduction blocks were not
    significantly reduced"), staying well under 0.5."""
    studies = []
    for index, studied_on in enumerate(dates):
        segments = []
        for nerve, side, amplitude, amp_ratio, area_ratio, duration_change, velocity in specs:
            shift = 0.03 * index if amp_ratio < 0.5 else -0.01 * index
            segments.append(_segment(nerve, side, amplitude * (1 + 0.04 * index),
                                     amp_ratio + shift, area_ratio + shift, duration_change,
                                     velocity))
        studies.append({"studied_on": studied_on, "segments": segments})
    return studies


def _titre(sampled_on: date, antigen: str, value: int, unit: str = "dilution") -> dict:
    return {"sampled_on": sampled_on, "antigen": antigen, "isotype": "IgM",
            "method": "elisa", "value": Decimal(value), "unit": unit}


def _paraprotein(measured_on: date, isotype: str, light_chain: str, level: str) -> dict:
    return {"measured_on": measured_on, "isotype": isotype, "light_chain": light_chain,
            "serum_level_g_l": Decimal(level)}


def _prior(kind: str, started_on: date, ended_on: date, notes: str = "") -> dict:
    return {"kind": kind, "started_on": started_on, "ended_on": ended_on, "notes": notes}


def _stop_last(series: list[dict], *, days: int, dose: str, reason: str,
               event: dict, earlier: dict[int, dict] | None = None) -> list[dict]:
    """Constructed: the last series stopped after ``days`` days for an allergic rash;
    ``earlier`` milder rashes that did not stop treatment."""
    for number, earlier_event in (earlier or {}).items():
        series[number - 1]["adverse_events"].append(earlier_event)
    last = series[-1]
    last.update(status="stopped", days=days, dose_g_per_kg=Decimal(dose), stop_reason=reason)
    last["adverse_events"].append(event)
    return series


def _rash(severity: str, led_to_stop: bool, notes: str) -> dict:
    return {"kind": "rash", "severity": severity, "led_to_stop": led_to_stop, "notes": notes}


def _patient(index: int, code: str, *, table: str, case: int, sex: str, age: int,
             diagnosis: str, course: int, pattern: str | None, series: list[dict],
             visits: list[dict], nerves: list[tuple[str, str]] | None = None,
             titres: list[dict] | None = None, paraproteins: list[dict] | None = None,
             prior: list[dict] | None = None, studies: list[dict] | None = None,
             notes: str = "") -> dict:
    """One patient. ``age`` is the age at the first series and ``course`` the years
    from onset to the first series (paper, or constructed where the paper is
    silent). Constructed: date of birth (so that the age is exact), onset year,
    identity, consent (35 days before series 1)."""
    first = series[0]["started_on"]
    # The registry keeps a birth year, so ages are year differences: the constructed
    # birthday falls early in the year, before the first series.
    birth_year = first.year - age
    birthday = min(date(birth_year, 1, 1 + index % 28), first.replace(year=birth_year))
    return {
        "code": code,
        "table": table,
        "case": case,
        "sex": sex,
        "birth_year": birth_year,
        "diagnosis": diagnosis,
        "onset_year": first.year - course,
        "neuropathy_pattern": pattern,
        "affected_nerves": list(nerves or []),
        "target_muscles": [],  # not pinned: computed from the baseline grid
        "identity": {
            "name": f"Demo Patient {code}",
            "date_of_birth": birthday,
            "hospital_number": f"DEMO-{index:06d}",
        },
        "consent": {"given_on": first - _days(35), "version": "1.0", "withdrawn_on": None},
        "notes": notes,
        "titres": list(titres or []),
        "paraproteins": list(paraproteins or []),
        "prior_treatments": list(prior or []),
        "series": series,
        "visits": visits,
        "nerve_studies": list(studies or []),
    }


# ---------------------------------------------------------------------------
# Table 1: multifocal motor neuropathy (MMN-001 … MMN-006)
# ---------------------------------------------------------------------------

_ARM_HAND = ("triceps", "wrist_extensors", "finger_extensors", "finger_flexors",
             "first_dorsal_interosseous", "abductor_pollicis_brevis", "abductor_digiti_minimi")
_HAND_LEG = ("wrist_extensors", "finger_flexors", "first_dorsal_interosseous",
             "abductor_pollicis_brevis", "abductor_digiti_minimi", "tibialis_anterior",
             "extensor_hallucis_longus")
_MMN_NOTES = (
    "Paper, Table 1 case {case}: {summary}. Constructed: dates, dose within the paper's "
    "1.6-2.4 g/kg, days, weight, lots, every MRC and functional grade (built so that the "
    "rules give the paper's first response, N* and final result) and every "
    "nerve-conduction value."
)


def _mmn_001() -> dict:
    series = _monthly_series(  # paper: 13 series; the rest constructed
        date(1993, 2, 8), 13, pattern=(28, 35, 28), days={1: 5, 4: 3},
        dose={1: "2.0", 7: "1.6"}, weight="78.0", salt=1)
    grid = _grid(_ARM_HAND + ("tibialis_anterior", "extensor_hallucis_longus"), {
        ("abductor_pollicis_brevis", "R"): 1, ("first_dorsal_interosseous", "L"): 1,
        ("abductor_digiti_minimi", "L"): 1, ("finger_extensors", "L"): 1,
        ("tibialis_anterior", "L"): 2, ("wrist_extensors", "L"): 3,
        ("extensor_hallucis_longus", "L"): 3, ("triceps", "L"): 4,
        ("finger_flexors", "L"): 4, ("finger_flexors", "R"): 4,
    })  # constructed: weakness in R median, L ulnar + radial, L peroneal territories
    targets = (("finger_extensors", "L"), ("first_dorsal_interosseous", "L"),
               ("abductor_pollicis_brevis", "R"), ("abductor_digiti_minimi", "L"),
               ("tibialis_anterior", "L"))  # the five weakest at baseline, sum 6
    visits = _mmn_visits(  # constructed: dramatic first response (+11), N* = 10, plateau
        series, grid, targets, posts=[17, 18, 18, 19, 20, 20, 21, 22, 22, 23, 23, 23, 23],
        follow_up=23, final=23, functional=3)
    first, last = series[0]["started_on"], series[-1]["started_on"]
    studies = _studies(  # constructed: three blocks persisting over three studies
        [first - _days(21), series[6]["started_on"] + _days(7), last + _days(77)], [
            ("median", "R", 5.8, 0.31, 0.33, 0.06, 41.0),
            ("ulnar", "L", 7.2, 0.24, 0.27, 0.09, 38.0),
            ("radial", "L", 4.6, 0.36, 0.38, 0.05, 44.0),
            ("ulnar", "R", 9.4, 0.93, 0.95, 0.03, 56.0),
            ("peroneal", "L", 1.8, 0.86, 0.88, 0.07, 39.0),
        ])
    return _patient(
        1, "MMN-001", table="table1", case=1, sex="M", age=34, course=8,  # paper
        diagnosis="mmn", pattern="demyelinating",  # constructed: conduction blocks
        nerves=[("R", "median"), ("L", "ulnar"), ("L", "radial"), ("L", "peroneal")],  # paper
        series=series, visits=visits, studies=studies,
        titres=[_titre(first - _days(28), "gm1", 0)],  # paper: anti-GM1 0 before IVIg
        notes=_MMN_NOTES.format(case=1, summary=(
            "M/34, course 8 years, R median, L ulnar + radial, L peroneal; 13 series; first "
            "response dramatic; N* 10; persistent improvement; anti-GM1 0")),
    )


def _mmn_002() -> dict:
    series = _monthly_series(  # paper: 8 series; the rest constructed
        date(1993, 3, 15), 8, pattern=(35, 28, 28), days=5, dose="2.4", weight="84.0",
        salt=2)
    grid = _grid(_ARM_HAND + ("tibialis_anterior", "extensor_hallucis_longus"), {
        ("abductor_pollicis_brevis", "R"): 2, ("first_dorsal_interosseous", "R"): 2,
        ("first_dorsal_interosseous", "L"): 3, ("finger_extensors", "R"): 2,
        ("abductor_digiti_minimi", "L"): 3, ("wrist_extensors", "R"): 4,
        ("wrist_extensors", "L"): 4, ("finger_extensors", "L"): 4,
        ("abductor_digiti_minimi", "R"): 4, ("tibialis_anterior", "R"): 4,
        ("extensor_hallucis_longus", "R"): 4,
    })  # constructed: weakness in R median, both ulnar + radial, R peroneal territories
    targets = (("finger_extensors", "R"), ("first_dorsal_interosseous", "R"),
               ("first_dorsal_interosseous", "L"), ("abductor_pollicis_brevis", "R"),
               ("abductor_digiti_minimi", "L"))  # sum 12
    visits = _mmn_visits(  # constructed: slight (+2), better up to series 5, then worse
        series, grid, targets, posts=[14, 15, 16, 16, 17, 15, 13, 11], pres={7: 14},
        follow_up=10, final=10, functional=2,
        notes={"final": "Motor deterioration below baseline despite IVIg."})
    first, last = series[0]["started_on"], series[-1]["started_on"]
    studies = _studies(  # constructed: four blocks persisting over three studies
        [first - _days(21), series[4]["started_on"] + _days(7), last + _days(77)], [
            ("median", "R", 6.1, 0.28, 0.30, 0.08, 40.0),
            ("ulnar", "R", 7.8, 0.22, 0.25, 0.10, 37.0),
            ("ulnar", "L", 6.9, 0.34, 0.36, 0.06, 42.0),
            ("radial", "R", 4.2, 0.30, 0.33, 0.04, 43.0),
            ("radial", "L", 5.1, 0.90, 0.92, 0.04, 55.0),
            ("peroneal", "R", 1.4, 0.84, 0.86, 0.08, 38.0),
        ])
    return _patient(
        2, "MMN-002", table="table1", case=2, sex="M", age=50, course=15,  # paper
        diagnosis="mmn", pattern="demyelinating",  # constructed: conduction blocks
        nerves=[("R", "median"), ("R", "ulnar"), ("L", "ulnar"), ("R", "radial"),
                ("L", "radial"), ("R", "peroneal")],  # paper: "2 ulnar + radial" = both sides
        series=series, visits=visits, studies=studies,
        titres=[_titre(first - _days(28), "gm1", 1600)],  # paper: 1/1600
        notes=_MMN_NOTES.format(case=2, summary=(
            "M/50, course 15 years, R median, 2 ulnar + radial, R peroneal; 8 series; first "
            "response slight; N* 5; deterioration; anti-GM1 1/1600")),
    )


def _mmn_003() -> dict:
    series = _monthly_series(  # paper: 8 series; the rest constructed
        date(1993, 5, 10), 8, pattern=(28, 28, 35), days=4, dose="2.0", weight="70.0",
        salt=3)
    grid = _grid(_HAND_LEG + ("gastrocnemius",), {
        ("abductor_pollicis_brevis", "R"): 2, ("first_dorsal_interosseous", "L"): 2,
        ("abductor_digiti_minimi", "L"): 2, ("tibialis_anterior", "R"): 2,
        ("extensor_hallucis_longus", "R"): 2, ("finger_flexors", "L"): 4,
        ("gastrocnemius", "R"): 4,
    })  # constructed: weakness in R median, L ulnar, R peroneal territories
    targets = (("first_dorsal_interosseous", "L"), ("abductor_pollicis_brevis", "R"),
               ("abductor_digiti_minimi", "L"), ("tibialis_anterior", "R"),
               ("extensor_hallucis_longus", "R"))  # sum 10
    visits = _mmn_visits(  # constructed: dramatic (+11), N* = 6, then only slight at the end
        series, grid, targets, posts=[21, 21, 22, 23, 23, 24, 24, 24], follow_up=17,
        final=13, functional=3,
        notes={"final": "Improvement largely lost after the last series; slight residual "
                        "gain."})
    first, last = series[0]["started_on"], series[-1]["started_on"]
    studies = _studies(  # constructed: two blocks persisting over two studies
        [first - _days(21), last + _days(77)], [
            ("median", "R", 5.4, 0.35, 0.37, 0.07, 42.0),
            ("ulnar", "L", 7.0, 0.26, 0.29, 0.11, 39.0),
            ("ulnar", "R", 9.1, 0.94, 0.95, 0.03, 57.0),
            ("peroneal", "R", 2.2, 0.88, 0.90, 0.05, 40.0),
        ])
    return _patient(
        3, "MMN-003", table="table1", case=3, sex="M", age=46, course=15,  # paper
        diagnosis="mmn", pattern="demyelinating",  # constructed: conduction blocks
        nerves=[("R", "median"), ("L", "ulnar"), ("R", "peroneal")],  # paper
        series=series, visits=visits, studies=studies,
        titres=[_titre(first - _days(28), "gm1", 400)],  # paper: 1/400 (not significant)
        notes=_MMN_NOTES.format(case=3, summary=(
            "M/46, course 15 years, R median, L ulnar, R peroneal; 8 series; first response "
            "dramatic; N* 6; slight persistent improvement; anti-GM1 1/400")),
    )


def _mmn_004() -> dict:
    series = _monthly_series(  # paper: 6 series; the rest constructed
        date(1993, 9, 6), 6, pattern=(28, 35), days={1: 5, 3: 2},
        dose={1: "2.0", 3: "1.6"}, weight="66.0", salt=4)
    grid = _grid(_HAND_LEG, {
        ("first_dorsal_interosseous", "R"): 1, ("first_dorsal_interosseous", "L"): 1,
        ("abductor_digiti_minimi", "L"): 1, ("abductor_pollicis_brevis", "L"): 1,
        ("tibialis_anterior", "L"): 1, ("abductor_digiti_minimi", "R"): 3,
        ("extensor_hallucis_longus", "L"): 3, ("finger_flexors", "L"): 4,
    })  # constructed: weakness in both ulnar, L median, L peroneal territories
    targets = (("first_dorsal_interosseous", "R"), ("first_dorsal_interosseous", "L"),
               ("abductor_pollicis_brevis", "L"), ("abductor_digiti_minimi", "L"),
               ("tibialis_anterior", "L"))  # sum 5
    # constructed: clinical-rules.md's worked example for case 4 shifted down by 5
    # (baseline 10 with posts up to 26 is impossible: five MRC grades sum to 25 at
    # most); same gains: +11 … +16, mean 2.2 first, 3.2 final.
    visits = _mmn_visits(series, grid, targets, posts=[16, 17, 18, 19, 20, 21],
                         follow_up=21, final=21, functional=3)
    first, last = series[0]["started_on"], series[-1]["started_on"]
    studies = _studies(  # constructed: three blocks persisting over two studies
        [first - _days(21), last + _days(77)], [
            ("ulnar", "R", 6.4, 0.20, 0.22, 0.05, 36.0),
            ("ulnar", "L", 7.5, 0.27, 0.30, 0.08, 39.0),
            ("median", "L", 5.9, 0.33, 0.35, 0.10, 41.0),
            ("median", "R", 8.8, 0.95, 0.96, 0.02, 56.0),
            ("peroneal", "L", 2.6, 0.87, 0.89, 0.06, 41.0),
        ])
    return _patient(
        4, "MMN-004", table="table1", case=4, sex="M", age=29, course=22,  # paper
        diagnosis="mmn", pattern="demyelinating",  # constructed: conduction blocks
        nerves=[("R", "ulnar"), ("L", "ulnar"), ("L", "median"), ("L", "peroneal")],  # paper
        series=series, visits=visits, studies=studies,
        titres=[_titre(first - _days(28), "gm1", 12800)],  # paper: 1/12800
        notes=_MMN_NOTES.format(case=4, summary=(
            "M/29, course 22 years, 2 ulnar, L median, L peroneal; 6 series; first response "
            "dramatic; N* 6; persistent improvement; anti-GM1 1/12800")),
    )


def _mmn_005() -> dict:
    series = _monthly_series(  # paper: 8 series; the rest constructed
        date(1994, 1, 10), 8, pattern=(28, 28, 35), days=3, dose="2.0", weight="75.0",
        salt=5)
    grid = _grid(_HAND_LEG, {
        ("abductor_pollicis_brevis", "R"): 2, ("first_dorsal_interosseous", "R"): 2,
        ("abductor_digiti_minimi", "R"): 2, ("tibialis_anterior", "L"): 2,
        ("extensor_hallucis_longus", "L"): 2, ("finger_flexors", "R"): 4,
    })  # constructed: weakness in R median + ulnar, L peroneal territories
    targets = (("first_dorsal_interosseous", "R"), ("abductor_pollicis_brevis", "R"),
               ("abductor_digiti_minimi", "R"), ("tibialis_anterior", "L"),
               ("extensor_hallucis_longus", "L"))  # sum 10
    visits = _mmn_visits(  # constructed: mild (+6), N* = 5, wear-off before every series
        series, grid, targets, posts=[16, 17, 18, 18, 19, 19, 19, 19],
        pres={2: 14, 3: 15, 4: 16, 5: 16, 6: 17, 7: 17, 8: 17}, follow_up=17, final=17,
        functional=2,
        notes={"final": "Mild improvement, maintained only by repeated series."})
    first, last = series[0]["started_on"], series[-1]["started_on"]
    studies = _studies(  # constructed: two blocks persisting over two studies
        [first - _days(21), last + _days(77)], [
            ("median", "R", 5.6, 0.38, 0.40, 0.06, 43.0),
            ("ulnar", "R", 6.6, 0.32, 0.34, 0.09, 40.0),
            ("median", "L", 8.9, 0.94, 0.95, 0.03, 55.0),
            ("peroneal", "L", 1.6, 0.85, 0.87, 0.07, 39.0),
        ])
    return _patient(
        5, "MMN-005", table="table1", case=5, sex="M", age=46, course=3,  # paper
        diagnosis="mmn", pattern="demyelinating",  # constructed: conduction blocks
        nerves=[("R", "median"), ("R", "ulnar"), ("L", "peroneal")],  # paper
        series=series, visits=visits, studies=studies,
        titres=[_titre(first - _days(28), "gm1", 3200)],  # paper: 1/3200
        notes=_MMN_NOTES.format(case=5, summary=(
            "M/46, course 3 years, R median + ulnar, L peroneal; 8 series; first response "
            "mild; N* 5; mild persistent improvement if repeated; anti-GM1 1/3200")),
    )


def _mmn_006() -> dict:
    series = _monthly_series(  # paper: 3 series; the rest constructed
        date(1994, 4, 11), 3, pattern=(28, 35), days=5, dose="2.4", weight="80.0", salt=6)
    grid = _grid(("deltoid", "biceps", "triceps", "wrist_extensors", "finger_extensors"), {
        ("finger_extensors", "R"): 1, ("wrist_extensors", "R"): 2, ("triceps", "R"): 4,
    })  # constructed: focal weakness in the right radial territory
    # The five lowest at baseline: the three radial muscles, then the two deltoids
    # (grade 5; ties broken by catalogue order, right before left): sum 17.
    targets = (("deltoid", "R"), ("deltoid", "L"), ("triceps", "R"), ("wrist_extensors", "R"),
               ("finger_extensors", "R"))
    visits = _mmn_visits(  # constructed: no change at all; IVIg stopped after 3 series
        series, grid, targets, posts=[17, 17, 17], follow_up=17, final=17, functional=2,
        notes={"follow_up": "No response after three series: IVIg stopped."})
    first, last = series[0]["started_on"], series[-1]["started_on"]
    studies = _studies(  # constructed: a single radial block, persisting
        [first - _days(21), last + _days(77)], [
            ("radial", "R", 4.8, 0.29, 0.31, 0.07, 42.0),
            ("median", "R", 9.0, 0.96, 0.97, 0.02, 57.0),
            ("ulnar", "R", 9.6, 0.95, 0.96, 0.03, 58.0),
        ])
    return _patient(
        6, "MMN-006", table="table1", case=6, sex="M", age=35, course=4,  # paper
        diagnosis="mmn", pattern="demyelinating",  # constructed: conduction block
        # paper: "focal motor involvement of the right radial nerve" (the OCR'd table
        # row also shows "median" on its second line; the text is followed).
        nerves=[("R", "radial")],
        series=series, visits=visits, studies=studies,
        titres=[_titre(first - _days(28), "gm1", 3200)],  # paper: 1/3200
        notes=_MMN_NOTES.format(case=6, summary=(
            "M/35, course 4 years, focal R radial; 3 series; no response, IVIg stopped; "
            "anti-GM1 1/3200")),
    )


# ---------------------------------------------------------------------------
# IgM polyneuropathy (IGM-001 … IGM-013)
# ---------------------------------------------------------------------------

_IGM_NOTES = (
    "Constructed: dates, weight, lots, days, titre values (significant exactly for the "
    "paper's antibody activities), light chain and every Prineas score between the "
    "paper's before and after."
)


def _igm(index: int, case: int, *, sex: str, age: int, course: int, first: date,
         count: int, before: int, changes: dict[int, int], level: str,
         titres: list[tuple[str, int, str]], prior: list[dict], weight: str,
         table: str = "table2", pattern: str = "demyelinating", light_chain: str = "kappa",
         summary: str = "", stop: dict | None = None, notes_by_series: dict | None = None
         ) -> dict:
    series = _monthly_series(first, count, pattern=(28, 28, 35), days=5, dose="2.0",
                             weight=weight, salt=index)  # paper: 2 g/kg every 4 weeks
    if stop is not None:
        series = _stop_last(series, **stop)
    sampled = first - _days(28)
    measured = [_paraprotein(sampled, "IgM", light_chain, level)]
    if table == "table2":
        # paper: "the IgM serum level ... remained unchanged"
        measured.append(_paraprotein(series[-1]["started_on"] + _days(42), "IgM",
                                     light_chain, level))
    return _patient(
        index, f"IGM-{case:03d}", table=table, case=case, sex=sex, age=age, course=course,
        diagnosis="igm_mgus_pn", pattern=pattern, series=series,
        visits=_pn_visits(series, before=before, changes=changes, notes=notes_by_series),
        titres=[_titre(sampled, antigen, value, unit) for antigen, value, unit in titres],
        paraproteins=measured, prior=prior, notes=f"{summary} {_IGM_NOTES}".strip(),
    )


_I_NOTE = "Paper: 'I' (immunosuppressor); drug and dates constructed."
_S_NOTE = "Paper: 'S' (steroids); drug and dates constructed."
_PE_NOTE = "Paper: 'PE' (plasma exchange); sessions and dates constructed."


def _igm_table2() -> list[dict]:
    return [
        _igm(  # paper: M/56, 7 years, S + PE + I, anti-GD1a + GD1b, 4.7 g/l, 3 series, 3 → 2
            7, 1, sex="M", age=56, course=7, first=date(1993, 4, 5), count=3, before=3,
            changes={2: 2}, level="4.7", weight="71.0", pattern="mixed",  # pattern constructed
            titres=[("gd1a", 6400, "dilution"), ("gd1b", 3200, "dilution"),
                    ("mag", 300, "btu")],  # constructed values; anti-MAG negative
            prior=[_prior("steroids", date(1987, 3, 2), date(1987, 12, 14), _S_NOTE),
                   _prior("plasma_exchange", date(1989, 5, 8), date(1989, 8, 28), _PE_NOTE),
                   _prior("immunosuppressant", date(1990, 9, 3), date(1992, 9, 28),
                          _I_NOTE)],
            summary="Paper, Table 2 case 1: M/56, course 7 years, S + PE + I, anti-GD1a and "
                    "anti-GD1b, IgM 4.7 g/l, 3 series, Prineas 3 before, 2 after."),
        _igm(  # paper: M/45, 5 years, I, anti-MAG + SGPG, 4.5 g/l, 11 series, 4 → 3
            8, 2, sex="M", age=45, course=5, first=date(1993, 6, 7), count=11, before=4,
            changes={3: 3}, level="4.5", weight="82.0",
            titres=[("mag", 42000, "btu"), ("sgpg", 25600, "dilution")],
            prior=[_prior("immunosuppressant", date(1990, 2, 5), date(1992, 12, 21),
                          _I_NOTE)],
            summary="Paper, Table 2 case 2: M/45, course 5 years, I, anti-MAG and anti-SGPG, "
                    "IgM 4.5 g/l, 11 series, Prineas 4 before, 3 after."),
        _igm(  # paper: M/68, 10 years, PE + I, anti-MAG + SGPG, 2 g/l, 10 series, 3 → 2
            9, 3, sex="M", age=68, course=10, first=date(1993, 2, 15), count=10, before=3,
            changes={4: 2}, level="2.0", weight="68.0",
            titres=[("mag", 18000, "btu"), ("sgpg", 12800, "dilution")],
            prior=[_prior("plasma_exchange", date(1987, 10, 5), date(1988, 1, 25), _PE_NOTE),
                   _prior("immunosuppressant", date(1988, 3, 7), date(1992, 6, 29),
                          _I_NOTE)],
            summary="Paper, Table 2 case 3: M/68, course 10 years, PE + I, anti-MAG and "
                    "anti-SGPG, IgM 2 g/l, 10 series, Prineas 3 before, 2 after."),
        _igm(  # paper: M/47, 5 years, PE + I, anti-SGPG, 5.5 g/l, 9 series, 3 → 3
            10, 4, sex="M", age=47, course=5, first=date(1993, 10, 4), count=9, before=3,
            changes={}, level="5.5", weight="77.0",
            titres=[("sgpg", 6400, "dilution"), ("mag", 600, "btu")],  # anti-MAG negative
            prior=[_prior("plasma_exchange", date(1990, 4, 2), date(1990, 7, 23), _PE_NOTE),
                   _prior("immunosuppressant", date(1990, 4, 2), date(1993, 3, 29),
                          _I_NOTE)],
            summary="Paper, Table 2 case 4: M/47, course 5 years, PE + I, anti-SGPG, IgM "
                    "5.5 g/l, 9 series, Prineas 3 before, 3 after."),
        _igm(  # paper: M/62, 7 years, PE + I, anti-MAG + SGPG, 3 g/l, 16 series, 1 → 3
            11, 5, sex="M", age=62, course=7, first=date(1993, 3, 1), count=16, before=1,
            changes={5: 2, 11: 3}, level="3.0", weight="74.0",
            titres=[("mag", 65000, "btu"), ("sgpg", 51200, "dilution")],
            prior=[_prior("plasma_exchange", date(1989, 1, 9), date(1989, 4, 24), _PE_NOTE),
                   _prior("immunosuppressant", date(1989, 1, 9), date(1992, 10, 26),
                          _I_NOTE)],
            summary="Paper, Table 2 case 5: M/62, course 7 years, PE + I, anti-MAG and "
                    "anti-SGPG, IgM 3 g/l, 16 series, Prineas 1 before, 3 after."),
        _igm(  # paper: F/81, 6 years, PE + I, anti-MAG + SGPG, 4.7 g/l, 6 series, 2 → 4
            12, 6, sex="F", age=81, course=6, first=date(1994, 2, 7), count=6, before=2,
            changes={3: 3, 5: 4}, level="4.7", weight="58.0",
            titres=[("mag", 30000, "btu"), ("sgpg", 25600, "dilution")],
            prior=[_prior("plasma_exchange", date(1991, 5, 6), date(1991, 8, 26), _PE_NOTE),
                   _prior("immunosuppressant", date(1991, 5, 6), date(1993, 6, 28),
                          _I_NOTE)],
            summary="Paper, Table 2 case 6: F/81, course 6 years, PE + I, anti-MAG and "
                    "anti-SGPG, IgM 4.7 g/l, 6 series, Prineas 2 before, 4 after."),
        _igm(  # paper: F/53, 10 years, S + I, anti-sulphatides, 5 g/l, 7 series, 4 → 3
            13, 7, sex="F", age=53, course=10, first=date(1994, 5, 2), count=7, before=4,
            changes={3: 3}, level="5.0", weight="63.0", pattern="axonal",  # constructed
            titres=[("sulfatide", 12800, "dilution"), ("mag", 250, "btu")],  # MAG negative
            prior=[_prior("steroids", date(1986, 1, 13), date(1987, 6, 29), _S_NOTE),
                   _prior("immunosuppressant", date(1989, 9, 4), date(1993, 9, 27),
                          _I_NOTE)],
            summary="Paper, Table 2 case 7: F/53, course 10 years, S + I, anti-sulphatides, "
                    "IgM 5 g/l, 7 series, Prineas 4 before, 3 after."),
    ]


def _igm_not_treated() -> list[dict]:
    summary = ("Paper, text: IgM polyneuropathy not treated before IVIg, treated five to 12 "
               "months; two of three improved one Prineas grade. Sex, age, course, IgM level "
               "constructed.")
    return [
        _igm(  # constructed: 6 series (5 months), 2 → 1, improved
            14, 8, sex="M", age=59, course=3, first=date(1994, 3, 7), count=6, before=2,
            changes={3: 1}, level="3.8", weight="79.0", table="text",
            titres=[("mag", 24000, "btu"), ("sgpg", 12800, "dilution")], prior=[],
            summary=summary),
        _igm(  # constructed: 9 series (8 months), 3 → 2, improved
            15, 9, sex="F", age=66, course=2, first=date(1994, 6, 6), count=9, before=3,
            changes={4: 2}, level="1.6", weight="61.0", table="text", pattern="mixed",
            titres=[("mag", 350, "btu")], prior=[], summary=summary),  # no activity
        _igm(  # constructed: 13 series (12 months), 3 → 3, stable
            16, 10, sex="M", age=71, course=4, first=date(1994, 9, 5), count=13, before=3,
            changes={}, level="6.2", weight="73.0", table="text",
            titres=[("mag", 56000, "btu"), ("sgpg", 25600, "dilution")], prior=[],
            summary=summary),
    ]


def _igm_stopped() -> list[dict]:
    summary = ("Paper, text: IVIg stopped because of recurrent allergic rashes (counted apart, "
               "not as a non-responder). Sex, age, course, IgM level, number of series and "
               "prior treatment constructed.")
    reason = "Recurrent allergic rash"
    return [
        _igm(  # constructed: one series, stopped on day 2
            17, 11, sex="M", age=63, course=6, first=date(1993, 11, 8), count=1, before=3,
            changes={}, level="2.9", weight="76.0", table="text",
            titres=[("mag", 9000, "btu")],
            prior=[_prior("chlorambucil", date(1991, 3, 4), date(1992, 3, 2),
                          "Constructed: one year of chlorambucil, no benefit.")],
            summary=summary,
            stop={"days": 2, "dose": "0.8", "reason": reason, "event": _rash(
                "moderate", True, "Urticarial rash on day 1, recurring on day 2 despite an "
                "antihistamine: infusions stopped (0.8 of 2 g/kg given).")}),
        _igm(  # constructed: two series, a mild rash then a recurrence that stopped IVIg
            18, 12, sex="F", age=58, course=3, first=date(1994, 1, 17), count=2, before=2,
            changes={}, level="4.1", weight="57.0", table="text",
            titres=[("mag", 200, "btu")], prior=[], summary=summary,  # no activity
            stop={"days": 1, "dose": "0.4", "reason": reason,
                  "event": _rash("moderate", True, "Rash recurred on day 1 of series 2: "
                                 "stopped (0.4 of 2 g/kg given)."),
                  "earlier": {1: _rash("mild", False, "Transient rash on day 3; "
                                       "antihistamine, series completed.")}}),
        _igm(  # constructed: three series, two mild rashes then one that stopped IVIg
            19, 13, sex="M", age=69, course=8, first=date(1994, 10, 3), count=3, before=3,
            changes={}, level="7.3", weight="81.0", table="text",
            titres=[("sgpg", 3200, "dilution")],
            prior=[_prior("plasma_exchange", date(1992, 11, 2), date(1993, 2, 22),
                          "Constructed: plasma exchange, no benefit.")],
            summary=summary,
            stop={"days": 2, "dose": "0.8", "reason": reason,
                  "event": _rash("severe", True, "Generalised rash on day 2 of series 3: "
                                 "IVIg stopped for good (0.8 of 2 g/kg given)."),
                  "earlier": {1: _rash("mild", False, "Rash on day 4, resolved."),
                              2: _rash("mild", False, "Rash on day 2, resolved; "
                                       "premedication added.")}}),
    ]


# ---------------------------------------------------------------------------
# IgG polyneuropathy (IGG-001 … IGG-004)
# ---------------------------------------------------------------------------


def _igg(index: int, case: int, *, sex: str, age: int, course: int, pattern: str,
         first: date, count: int, before: int, changes: dict[int, int], days: Any,
         level: str, light_chain: str, weight: str, summary: str,
         notes_by_series: dict[int, str] | None = None) -> dict:
    series = _monthly_series(first, count, pattern=(28, 28, 28, 35), days=days, dose="2.0",
                             weight=weight, salt=index)  # paper: monthly at 2 g/kg
    return _patient(
        index, f"IGG-{case:03d}", table="text", case=case, sex=sex, age=age, course=course,
        diagnosis="igg_mgus_pn", pattern=pattern, series=series,
        visits=_pn_visits(series, before=before, changes=changes, notes=notes_by_series),
        paraproteins=[_paraprotein(first - _days(28), "IgG", light_chain, level)],
        notes=(f"Paper, text: IgG polyneuropathy, {summary} Constructed: sex, age, course, "
               "IgG level, light chain, dates, weight, lots, number of series within the "
               "paper's three months to three years, and every Prineas score."),
    )


def _igg_all() -> list[dict]:
    return [
        _igg(  # paper: axonal, no response; constructed: 3 series (three months), 2 → 2
            20, 1, sex="M", age=64, course=3, pattern="axonal", first=date(1994, 2, 14),
            count=3, before=2, changes={}, days=5, level="8.4", light_chain="kappa",
            weight="83.0", summary="axonal, no response to IVIg."),
        _igg(  # paper: axonal, no response; constructed: 6 series, 3 → 3
            21, 2, sex="F", age=70, course=5, pattern="axonal", first=date(1993, 11, 15),
            count=6, before=3, changes={}, days=5, level="12.1", light_chain="lambda",
            weight="66.0", summary="axonal, no response to IVIg."),
        _igg(  # paper: demyelinating, improved; constructed: 9 series, 4 → 2
            22, 3, sex="M", age=52, course=2, pattern="demyelinating",
            first=date(1994, 5, 16), count=9, before=4, changes={2: 3, 4: 2}, days=5,
            level="6.7", light_chain="kappa", weight="88.0",
            summary="chronic demyelinating polyneuropathy, significant clinical improvement."),
        _igg(  # paper: demyelinating, good response then back to baseline over three years
            # constructed: 34 series, four-day series then two-day series from series 13;
            # Prineas 3 → 2 after series 1, back to 3 from series 13 on.
            23, 4, sex="F", age=48, course=4, pattern="demyelinating",
            first=date(1993, 2, 8), count=34, before=3, changes={1: 2, 13: 3},
            days={1: 4, 13: 2}, level="9.8", light_chain="kappa", weight="60.0",
            summary="chronic demyelinating polyneuropathy; initially a good response, then "
                    "back to baseline despite periodic four-day then two-day IVIg series over "
                    "three years.",
            notes_by_series={1: "Good response after the first series.",
                             13: "Back to the baseline score (two-day series from series 13)."}),
    ]


# ---------------------------------------------------------------------------
# The treatment course (clinical-rules.md §10): not in the paper, constructed.
# ---------------------------------------------------------------------------

SCIG_PRODUCT = "SCIg 20 % (constructed)"


def _cidp_scig() -> dict:
    """CIDP-005, constructed entirely (the paper has no CIDP patient): an IVIg loading
    dose (2 g/kg over 5 days) and two monthly maintenance series of 1 g/kg, then a switch
    to weekly subcutaneous immunoglobulin, 0.2 g/kg a week for 24 weeks (as in PATH).
    Dosed on the adjusted weight (a man of 178 cm and 96 kg: 82.3 kg). Prineas 3 at
    baseline, 2 from the second month on (INCAT 4, then 2); visits every eight weeks
    (evaluation points)."""
    first = date(2019, 3, 4)
    series: list[dict] = []

    def add(started_on: date, *, route: str, regimen: str, days: int, dose: str,
            interval: int) -> None:
        number = len(series) + 1
        series.append({
            "number": number, "started_on": started_on, "days": days,
            "dose_g_per_kg": Decimal(dose), "weight_kg": Decimal("96.0"),
            "height_cm": Decimal("178.0"), "dose_basis": "adjusted", "route": route,
            "regimen": regimen, "expected_interval_days": interval,
            "product": PRODUCT if route == "iv" else SCIG_PRODUCT,
            "lot_numbers": _lots(started_on, 40 + number, 1 if route == "sc" else 2),
            "status": "given", "stop_reason": "", "adverse_events": [],
        })

    add(first, route="iv", regimen="loading", days=5, dose="2.0", interval=28)
    for month in (1, 2):
        add(first + _days(28 * month), route="iv", regimen="maintenance", days=2,
            dose="1.0", interval=28)
    switch = first + _days(84)
    for week in range(24):
        add(switch + _days(7 * week), route="sc", regimen="maintenance", days=1,
            dose="0.2", interval=7)
    # INCAT (CIDP's primary measure, §9): arm 2 + leg 2 at baseline, 1 + 1 from the second
    # month on (adjusted INCAT −2: improved by the MCID of 1).
    visits = [{**_visit(first - _days(14), "baseline", None, prineas=3),
               "incat_arm": 2, "incat_leg": 2}]
    visits += [{**_visit(first + _days(56 * k + 27), "follow_up", None, prineas=2 if k else 3),
                "incat_arm": 1 if k else 2, "incat_leg": 1 if k else 2}
               for k in range(5)]
    patient = _patient(
        40, "CIDP-005", table="course", case=1, sex="M", age=57, course=2,
        diagnosis="cidp", pattern="demyelinating", series=series, visits=visits,
        notes=("Constructed (not in the paper): CIDP, IVIg loading and maintenance, then "
               "weekly SCIg (clinical-rules.md §10); dosed on the adjusted weight."))
    return patient


# The demo cohort's patients of the treatment course (clinical-rules.md §10), loaded with
# the paper's.
COURSE_PATIENTS: list[dict] = [_cidp_scig()]

PATIENTS: list[dict] = [
    _mmn_001(), _mmn_002(), _mmn_003(), _mmn_004(), _mmn_005(), _mmn_006(),
    *_igm_table2(), *_igm_not_treated(), *_igm_stopped(), *_igg_all(),
]
