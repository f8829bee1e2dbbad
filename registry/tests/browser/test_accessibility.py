"""Every page of the registry, as each role that sees it differently, passes axe-core with
no serious or critical WCAG 2.1 AA violation (ui.md, "Additions of 2026-12-01").

To audit a new page add one line to PAGES: its path (``{patient}``, ``{visit}`` … are the
ids of the records made by ``records``), the roles to audit it as, the answer's status, and
optionally the button to press first (a form shown again with its errors), or fields to fill
first (a page whose script answers what is typed: the series' dosing preview). A path of
``""`` audits the page where the previous step left the browser (a wizard's next step).

Roles besides the three of the registry: ``token_step`` is a data manager who gave the
password and is asked for the authenticator's code; ``enrolling`` a data manager without an
authenticator yet, sent to the two-factor setup. Data managers and superusers sign in with
their code (registry.twofactor), computed with pyotp as an authenticator app would.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from patients import services as patient_services
from queries.services import query_raise
from registry.models import Role
from registry.tests.browser.axe import AXE, audit, describe
from registry.tests.factories import (
    CenterFactory,
    PatientFactory,
    SeriesFactory,
    UserFactory,
    VisitFactory,
    clinical_history,
    member,
)
from registry.tests.otp import authenticator, totp_code
from registry.twofactor import has_device, two_factor_required
from treatments import services as treatment_services
from treatments.services import outcome_recompute

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct-horse-battery"  # the factories' password

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm ci)"),
]

ANONYMOUS = "anonymous"
CLINICIAN, DATA_MANAGER, RESEARCHER, SUPERUSER = (
    "clinician", "data_manager", "researcher", "superuser")
TOKEN_STEP, ENROLLING = "token_step", "enrolling"
WRITERS = (CLINICIAN, DATA_MANAGER)
READERS = (CLINICIAN, DATA_MANAGER, RESEARCHER)


@dataclass(frozen=True)
class Audited:
    path: str
    roles: tuple[str, ...] = READERS
    status: int = 200
    submit: str | None = None  # the accessible name of a button pressed before the audit
    errors: bool = True  # the button shows the form again with its errors
    fill: dict[str, str] = field(default_factory=dict)  # selector: value, typed first
    shows: str | None = None  # a selector the page shows once its script answered


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
    # Pages that landed after the audit (issue 18, part 2).
    Audited("/worklist/"),
    Audited("/queries/", WRITERS),
    Audited("/queries/", (RESEARCHER,), status=403),
    Audited("/queries/?status=none-such", (DATA_MANAGER,)),  # the filter's errors
    Audited("/queries/", (DATA_MANAGER,), submit="Raise"),
    Audited("/patients/{patient}/tailoring/new/", WRITERS),
    Audited("/patients/{patient}/tailoring/new/", (CLINICIAN,), submit="Save"),
    Audited("/patients/{patient}/tailoring/{episode}/edit/", WRITERS),
    Audited("/patients/{patient}/visits/{visit}/sign/", (CLINICIAN,)),
    Audited("/patients/{patient}/visits/{visit}/sign/", (CLINICIAN,), submit="Sign"),
    Audited("/patients/{patient}/series/{series}/sign/", (CLINICIAN,)),
    Audited("/patients/{patient}/series/{series}/sign/", (CLINICIAN,), submit="Sign"),
    Audited("/patients/{patient}/visits/{signed_visit}/unlock/", (DATA_MANAGER,)),
    Audited("/patients/{patient}/visits/{signed_visit}/unlock/", (DATA_MANAGER,),
            submit="Unlock"),
    Audited("/patients/{patient}/series/{signed_series}/unlock/", (DATA_MANAGER,)),
    Audited("/patients/{patient}/series/{signed_series}/unlock/", (DATA_MANAGER,),
            submit="Unlock"),
    Audited("/patients/{patient}/visits/{signed_visit}/edit/", WRITERS),  # read-only notice
    Audited("/patients/{patient}/series/{signed_series}/edit/", WRITERS),
    Audited("/patients/{patient}/series/new/", (CLINICIAN,), shows="#prescribed-grams:not(:empty)",
            fill={"#id_started_on": "2020-01-10", "#id_weight_kg": "100",
                  "#id_dose_g_per_kg": "2.0"}),
    Audited("/patients/{patient}/series/new/", (CLINICIAN,), shows="#dosing-error:not(:empty)",
            fill={"#id_weight_kg": "100", "#id_dose_g_per_kg": "2.0",
                  "#id_dose_basis": "adjusted"}),  # the preview's own error
    Audited("/reports/?from=2026-13-01", status=400),  # the consumption period's errors
    Audited("/accounts/two-factor/", (CLINICIAN, DATA_MANAGER, RESEARCHER)),
    Audited("/accounts/two-factor/backup/tokens/", (DATA_MANAGER,)),
    Audited("/accounts/two-factor/backup/tokens/", (DATA_MANAGER,), submit="Generate Tokens",
            errors=False),
    Audited("", (TOKEN_STEP,)),  # the sign-in's code step
    Audited("", (TOKEN_STEP,), submit="Verify"),
    Audited("/accounts/two-factor/setup/", (ENROLLING,)),
    Audited("/accounts/two-factor/setup/", (ENROLLING,), submit="Next", errors=False,
            shows="img[alt='QR Code']"),
    Audited("", (ENROLLING,), submit="Next"),  # the setup's code step with its errors
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
    users[TOKEN_STEP] = member(center=center, role=Role.DATA_MANAGER,
                               username="a11y_token").username
    users[ENROLLING] = member(center=center, role=Role.DATA_MANAGER,
                              username="a11y_enrol").username
    patient = PatientFactory(center=center, code="MMN-A11Y")
    clinical_history(patient, 3)
    clinician = get_user_model().objects.get(username=users[CLINICIAN])
    manager = get_user_model().objects.get(username=users[DATA_MANAGER])
    signed_visit = patient.visits.order_by("pk").last()
    patient_services.visit_sign(visit=signed_visit, password=PASSWORD, by=clinician)
    signed_series = patient.series.order_by("pk").last()
    treatment_services.series_sign(series=signed_series, password=PASSWORD, by=clinician)
    episode = treatment_services.tailoring_record(patient=patient, data={
        "kind": "dose_reduction", "started_on": signed_series.started_on}, by=clinician)
    query_raise(patient=patient, message="Is the baseline MRC sum right?", by=manager)
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
        "signed_visit": signed_visit.pk,
        "signed_series": signed_series.pk,
        "episode": episode.pk,
    }
    return ids, users


def _sign_in(page, base: str, role: str, username: str) -> None:
    """The password, then the code for those who must give one; ``token_step`` stops at the
    code, ``enrolling`` lands on the setup."""
    user = get_user_model().objects.get(username=username)
    if two_factor_required(user) and role != ENROLLING:
        authenticator(user)
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if role == TOKEN_STEP:
        page.wait_for_selector("#id_token-otp_token")
        return
    if role == ENROLLING:
        page.wait_for_url("**/accounts/two-factor/setup/**")
        return
    if has_device(user):
        page.fill("#id_token-otp_token", totp_code(authenticator(user)))
        page.get_by_role("button", name="Verify").click()
    page.wait_for_url(re.compile(r"/(patients|worklist)/$"))  # the home of the role


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
                _sign_in(page, live_server.url, role, users[role])
            for audited in (a for a in PAGES if role in a.roles):
                path = audited.path.format(**ids) or page.url.removeprefix(live_server.url)
                response = page.goto(f"{live_server.url}{path}") if audited.path else None
                where = f"{path} as {role}" + (f" after {audited.submit}" if audited.submit
                                                else "")
                if audited.submit:
                    # The server's answer to a bad form, not the browser's own checks.
                    page.evaluate("document.querySelectorAll('form')"
                                  ".forEach(f => { f.noValidate = true; })")
                    with page.expect_navigation():
                        page.get_by_role("button", name=audited.submit, exact=True).click()
                    if audited.errors and "error" not in page.content():
                        failures.append(f"{where}: the form was not shown with its errors")
                        continue
                elif response is not None and response.status != audited.status:
                    failures.append(f"{where}: answered {response.status}")
                    continue
                for selector, value in audited.fill.items():
                    if page.locator(selector).evaluate("e => e.tagName") == "SELECT":
                        page.select_option(selector, value)
                    else:
                        page.fill(selector, value)
                if audited.shows:
                    page.wait_for_selector(audited.shows, state="attached")
                page.wait_for_load_state("networkidle")
                if violations := audit(page):
                    failures.append(f"{where}:\n{describe(violations)}")
            context.close()
        browser.close()
    assert not failures, ("axe-core (WCAG 2.1 AA, serious or critical), or the page:\n"
                          + "\n".join(failures))


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
