"""A whole visit entered from the keyboard alone (ui.md: "the MRC grid takes digits from the
keyboard and moves to the next cell"), under the real content security policy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from patients.models import MrcGrade, Visit
from registry.models import Role
from registry.tests.factories import CenterFactory, PatientFactory, member

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]

WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""
FOCUSED = "document.activeElement.name || document.activeElement.textContent.trim()"


@pytest.fixture
def page():
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.add_init_script(WATCH)
        yield page
        context.close()
        browser.close()


def _focused(page) -> str:
    return page.evaluate(FOCUSED)


def _outline(page) -> str:
    return page.evaluate("getComputedStyle(document.activeElement).outlineStyle")


def test_a_whole_visit_is_entered_by_typing(live_server, page):
    center = CenterFactory(code="kbd", name="Keyboard neurology")
    member(center=center, role=Role.CLINICIAN, username="kbd")
    patient = PatientFactory(center=center, code="MMN-KBD")

    form = f"{live_server.url}/patients/{patient.pk}/visits/new/"
    page.goto(form)
    assert _focused(page) == "username"  # the login page starts at its first field
    page.keyboard.type("kbd")
    page.keyboard.press("Tab")
    page.keyboard.type("correct-horse-battery")
    page.keyboard.press("Enter")
    page.wait_for_url(form)

    assert _focused(page) == "visited_on"  # the form starts at its first field
    page.keyboard.type("01011994")  # day and month alike: the field's order is the locale's
    # Chromium's date field stops Tab at its day, month and year parts before leaving.
    for _ in range(3):
        page.keyboard.press("Tab")
        if _focused(page) != "visited_on":
            break
    assert _focused(page) == "kind"
    page.keyboard.type("Base")  # the select's type-ahead: "Baseline"
    page.keyboard.press("Tab")
    assert _focused(page) == "series"  # left empty: a baseline has no series
    page.keyboard.press("Tab")
    page.keyboard.type("Dr Keys")
    page.keyboard.press("Tab")
    # the §9 scales, one fieldset each (INCAT, I-RODS, grip, ONLS), before Prineas
    assert _focused(page) == "incat_arm"
    page.keyboard.type("2")
    page.keyboard.press("Tab")
    page.keyboard.type("3")  # INCAT leg
    for name in ("irods_centile", "irods_raw", "grip_right_kpa", "grip_left_kpa",
                 "onls_arm", "onls_leg"):
        page.keyboard.press("Tab")
        assert _focused(page) == name
    page.keyboard.press("Tab")
    assert _focused(page) == "functional_score"
    page.keyboard.type("3")  # functional score
    page.keyboard.press("Tab")
    page.keyboard.type("4")  # Prineas
    page.keyboard.press("Tab")

    assert _focused(page) == "mrc_deltoid_R"
    assert _outline(page) != "none"  # the focused cell is visibly marked
    for key, then in [
        ("4", "mrc_deltoid_L"), ("5", "mrc_biceps_R"), ("3", "mrc_biceps_L"),
        ("7", "mrc_biceps_L"),  # not an MRC grade: ignored
        ("2", "mrc_triceps_R"),
        ("ArrowDown", "mrc_wrist_extensors_R"), ("1", "mrc_wrist_extensors_L"),
        ("ArrowUp", "mrc_triceps_L"), ("0", "mrc_wrist_extensors_R"),
        ("ArrowLeft", "mrc_triceps_L"),  # the previous row's last cell
        ("Backspace", "mrc_triceps_L"),  # clears the 0
        ("ArrowRight", "mrc_wrist_extensors_R"), ("ArrowRight", "mrc_wrist_extensors_L"),
        ("5", "mrc_finger_extensors_R"),
        ("Backspace", "mrc_wrist_extensors_L"),  # an empty cell: back one
        ("Backspace", "mrc_wrist_extensors_L"),  # clears the 5
        ("4", "mrc_finger_extensors_R"),
    ]:
        page.keyboard.press(key)
        assert _focused(page) == then, key
    assert page.input_value("#id_mrc_triceps_L") == ""
    assert page.input_value("#id_mrc_wrist_extensors_L") == "4"

    for _ in range(40):  # on through the rest of the grid, as Tab goes
        if _focused(page) == "notes":
            break
        page.keyboard.press("Tab")
    assert _focused(page) == "notes"
    page.keyboard.type("Entered from the keyboard")
    page.keyboard.press("Tab")
    assert _focused(page) == "Save visit"
    page.screenshot(path=ARTIFACTS / "visit-keyboard.png", full_page=True)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/patients/{patient.pk}/")

    assert page.evaluate("window.__violations") == []
    visit = Visit.objects.get(patient=patient)
    assert (str(visit.visited_on), visit.kind, visit.series_id, visit.examiner) == (
        "1994-01-01", "baseline", None, "Dr Keys")
    assert (visit.functional_score, visit.prineas_score) == (3, 4)
    assert (visit.incat_arm, visit.incat_leg, visit.grip_right_kpa) == (2, 3, None)
    assert visit.notes == "Entered from the keyboard"
    grades = {(g.muscle, g.side): g.grade for g in MrcGrade.objects.filter(visit=visit)}
    assert grades == {
        ("deltoid", "R"): 4, ("deltoid", "L"): 5, ("biceps", "R"): 3, ("biceps", "L"): 2,
        ("wrist_extensors", "R"): 1, ("wrist_extensors", "L"): 4,
    }
