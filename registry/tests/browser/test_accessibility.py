"""Every page of the registry, as each role that sees it differently, passes axe-core with
no serious or critical WCAG 2.1 AA violation (ui.md, "Additions of 2026-12-01").

To audit a new page add one line to PAGES: its path (``{patient}``, ``{visit}`` … are the
ids of the records made by ``records``), the roles to audit it as, the answer's status, and
optionally the button to press first (a form shown again with its errors).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from registry.models import Role
from registry.tests.browser.axe import AXE, audit, describe
from registry.tests.browser.signin import sign_in
from registry.tests.factories import (
    CenterFactory,
    PatientFactory,
    SeriesFactory,
    UserFactory,
    VisitFactory,
    clinical_history,
    member,
)
from treatments.services import outcome_recompute

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm ci)"),
]

ANONYMOUS = "anonymous"
CLINICIAN, DATA_MANAGER, RESEARCHER, SUPERUSER = (
    "clinician", "data_manager", "researcher", "superuser")
WRITERS = (CLINICIAN, DATA_MANAGER)
READERS = (CLINICIAN, DATA_MANAGER, RESEARCHER)


@dataclass(frozen=True)
class Audited:
    path: str
    roles: tuple[str, ...] = READERS
    status: int = 200
    submit: str | None = None  # the accessible name of a button pressed before the audit


PAGES = [
    Audited("/accounts/login/", (ANONYMOUS,)),
    Audited("/accounts/login/", (ANONYMOUS,), status=200, submit="Sign in"),  # its errors
    Audited("/admin/login/", (ANONYMOUS,)),
    Audited("/patients/"),
    Audited("/patients/?q=none-such&diagnosis=mmn"),
    Audited("/patients/{patient}/"),
    Audited("/patients/{patient}/?criteria=none-such", status=400),
    Audited("/patients/{cidp_patient}/", (CLINICIAN,)),  # §9 measures: table, charts
    Audited("/patients/new/", WRITERS),
    Audited("/patients/new/", WRITERS, submit="Create patient"),
    Audited("/patients/{patient}/edit/", WRITERS),
    Audited("/patients/{patient}/visits/new/", WRITERS),
    Audited("/patients/{patient}/visits/new/", (CLINICIAN,), submit="Save visit"),
    Audited("/patients/{patient}/visits/{visit}/edit/", WRITERS),
    Audited("/patients/{patient}/series/new/", WRITERS),
    Audited("/patients/{patient}/series/new/", (CLINICIAN,), submit="Save series"),
    Audited("/patients/{patient}/series/{series}/edit/", WRITERS),
    Audited("/patients/{patient}/titres/new/", WRITERS),
    Audited("/patients/{patient}/titres/{titre}/edit/", WRITERS),
    Audited("/patients/{patient}/paraproteins/new/", WRITERS),
    Audited("/patients/{patient}/paraproteins/{paraprotein}/edit/", WRITERS),
    Audited("/patients/{patient}/prior-treatments/new/", WRITERS),
    Audited("/patients/{patient}/prior-treatments/{prior_treatment}/edit/", WRITERS),
    Audited("/patients/{patient}/nerve-studies/new/", WRITERS),
    Audited("/patients/{patient}/nerve-studies/{study}/edit/", WRITERS),
    Audited("/reports/"),
    Audited("/lots/"),
    Audited("/lots/?lot=L1"),
    Audited("/exports/", (DATA_MANAGER, RESEARCHER)),
    Audited("/exports/", (CLINICIAN,), status=403),
    Audited("/imports/", (DATA_MANAGER,)),
    Audited("/imports/", (DATA_MANAGER,), submit="Import"),
    Audited("/patients/new/", (RESEARCHER,), status=403),
    Audited("/patients/{other_patient}/", (CLINICIAN,), status=404),
    Audited("/no-such-page/", (CLINICIAN,), status=404),
    Audited("/admin/", (SUPERUSER,)),
]


def records() -> tuple[dict[str, int], dict[str, str]]:
    """A centre whose patient has every kind of record, another centre's patient, and one
    login per role; the ids the paths name, and the usernames of the roles."""
    center = CenterFactory(code="a11y", name="Accessible neurology")
    other = CenterFactory(code="far", name="Far neurology")
    users = {
        CLINICIAN: member(center=center, role=Role.CLINICIAN, username="a11y_clin").username,
        DATA_MANAGER: member(center=center, role=Role.DATA_MANAGER, username="a11y_dm",
                             is_staff=True).username,
        RESEARCHER: member(center=center, role=Role.RESEARCHER, username="a11y_res").username,
        SUPERUSER: UserFactory(username="a11y_admin", is_staff=True,
                               is_superuser=True).username,
    }
    patient = PatientFactory(center=center, code="MMN-A11Y")
    clinical_history(patient, 3)
    cidp = PatientFactory(center=center, code="CIDP-A11Y", diagnosis="cidp")
    first = SeriesFactory(patient=cidp, number=1, started_on=date(2025, 1, 13))
    for day, kind, series, (arm, leg, right, left) in [
            (date(2025, 1, 6), "baseline", None, (2, 3, 40, 44)),
            (date(2025, 2, 10), "post_series", first, (1, 1, 60, 64))]:
        VisitFactory(patient=cidp, visited_on=day, kind=kind, series=series, incat_arm=arm,
                     incat_leg=leg, grip_right_kpa=right, grip_left_kpa=left)
    outcome_recompute(patient_id=cidp.pk)
    ids = {
        "patient": patient.pk, "cidp_patient": cidp.pk,
        "other_patient": PatientFactory(center=other, code="MMN-FAR").pk,
        "visit": patient.visits.order_by("pk").first().pk,
        "series": patient.series.order_by("pk").first().pk,
        "titre": patient.titres.first().pk,
        "paraprotein": patient.paraproteins.first().pk,
        "prior_treatment": patient.prior_treatments.first().pk,
        "study": patient.nerve_studies.first().pk,
    }
    return ids, users


def _sign_in(page, base: str, username: str) -> None:
    # The shared helper: the second factor of the roles that must use one, and the
    # landing page of each role (the worklist for a clinician).
    from django.contrib.auth import get_user_model

    sign_in(page, base, get_user_model().objects.get(username=username), landing="**/")


def test_every_page_passes_axe_as_each_role(live_server):
    ids, users = records()
    roles = sorted({role for audited in PAGES for role in audited.roles})
    failures = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for role in roles:
            context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                          bypass_csp=True)  # for the injected axe only
            page = context.new_page()
            if role != ANONYMOUS:
                _sign_in(page, live_server.url, users[role])
            for audited in (a for a in PAGES if role in a.roles):
                path = audited.path.format(**ids)
                response = page.goto(f"{live_server.url}{path}")
                where = f"{path} as {role}" + (f" after {audited.submit}" if audited.submit
                                                else "")
                if audited.submit:
                    # The server's answer to a bad form, not the browser's own checks.
                    page.evaluate("document.querySelectorAll('form')"
                                  ".forEach(f => { f.noValidate = true; })")
                    with page.expect_navigation():
                        page.get_by_role("button", name=audited.submit).click()
                    assert "error" in page.content(), where  # the form shown with errors
                else:
                    assert response.status == audited.status, where
                page.wait_for_load_state("networkidle")
                if violations := audit(page):
                    failures.append(f"{where}:\n{describe(violations)}")
            context.close()
        browser.close()
    assert not failures, "axe-core (WCAG 2.1 AA, serious or critical):\n" + "\n".join(failures)


def test_the_audit_finds_a_violation():
    """The audit is not blind: an unlabelled field and an image without text fail it."""
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.set_content('<html lang="en"><head><title>t</title></head><body><main>'
                         '<input type="text"><img src="x.png"></main></body></html>')
        found = {v["id"] for v in audit(page)}
        browser.close()
    assert {"label", "image-alt"} <= found
