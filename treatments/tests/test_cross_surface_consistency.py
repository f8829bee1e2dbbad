"""One clinical truth across surfaces (issue 12, "Tests"): for the paper's cohort, a GM1
threshold, a rule-set default and a criteria set are changed; while the recompute is
pending every concerned outcome says it is stale, and after it the API records, the
outcome, the patient page, Table 1 / Table 2 (JSON and CSV) and the exports agree on every
judgement: titre significance, segment block state, status, disability result, the
conduction-block summary and the versions the outcome was computed with."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from decimal import Decimal

import pytest
from django.urls import reverse

from exchange.tests.helpers import export_rows
from patients.demo.load import load_demo
from patients.models import Patient, Titre
from registry.tests.api.helpers import api
from treatments.models import (
    BlockCriteriaSet,
    NerveReference,
    Outcome,
    RuleSet,
    TitreThreshold,
)
from treatments.rules import BlockState
from treatments.services import (
    block_criteria_update,
    rule_set_create,
    titre_threshold_create,
    titre_threshold_update,
)

pytestmark = pytest.mark.django_db

BLOCKS = {BlockState.PARTIAL_BLOCK, BlockState.DEFINITE_BLOCK, BlockState.PROBABLE_BLOCK}
BOOLEAN = {"TRUE": True, "FALSE": False, "": None}


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    content = (b"".join(response.streaming_content) if response.streaming
               else response.content)
    return list(csv.DictReader(io.StringIO(content.decode())))


def _titre_key(code: str, row: dict) -> tuple:
    return (code, row["sampled_on"], row["antigen"], row["isotype"], row["method"],
            Decimal(str(row["value"])))


def _segment_key(code: str, studied_on: str, row: dict) -> tuple:
    return (code, studied_on, row["nerve"], row["side"], row["distal_site"],
            row["proximal_site"])


def _page_titres(html: str) -> Counter:
    """(date, value, significant) of each titre row of the patient page."""
    section = html.split("<h2>Antibody titres</h2>", 1)[1].split("</table>", 1)[0]
    rows = Counter()
    for row in section.split("<tr>")[2:]:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        if len(cells) < 5:
            continue  # "None."
        rows[(cells[0], Decimal(cells[3].split()[0]), ">significant</span>" in cells[4])] += 1
    return rows


def _page_blocks(html: str) -> list[tuple[str, str]]:
    """(first, latest) state of each row of the page's conduction-block table."""
    section = html.split('<section id="studies">', 1)[1].split("</section>", 1)[0]
    if "<caption>Conduction blocks" not in section:
        return []
    table = section.split("<caption>Conduction blocks", 1)[1].split("</table>", 1)[0]
    return [tuple(pair) for pair in (re.findall(r'class="block-([a-z_]*)"', row)
                                     for row in table.split("<tr>")[2:])]


def _admin_titres(client) -> dict[tuple, bool | None]:
    """The significance the admin's change page of each titre shows (a boolean icon)."""
    shown = {}
    for titre in Titre.objects.select_related("patient"):
        html = client.get(reverse("admin:patients_titre_change", args=[titre.pk])
                          ).content.decode()
        field = html.split("field-significant", 1)[1].split('class="readonly"', 1)[1]
        icon = re.match(r'><img [^>]*alt="(True|False|None)"', field)
        shown[_titre_key(titre.patient.code, {
            "sampled_on": titre.sampled_on.isoformat(), "antigen": titre.antigen,
            "isotype": titre.isotype, "method": titre.method, "value": titre.value,
        })] = {"True": True, "False": False}.get(icon.group(1)) if icon else None
    return shown


def _evolution(studies: list[dict]) -> dict:
    """The conduction-block summary the rules derive from the studies' live block states
    (clinical-rules.md §4): segments blocked at the first or latest study."""
    if not studies:
        return {"first_study": None, "latest_study": None, "segments": []}
    ordered = sorted(studies, key=lambda s: (s["studied_on"], s["id"]))
    first, latest = ({_segment_key("", s["studied_on"], seg)[2:]: seg["block"]
                      for seg in s["segments"]} for s in (ordered[0], ordered[-1]))
    segments = sorted(
        (*key, first.get(key), latest.get(key)) for key in set(first) | set(latest)
        if first.get(key) in BLOCKS or latest.get(key) in BLOCKS)
    return {"first_study": sum(state in BLOCKS for state in first.values()),
            "latest_study": sum(state in BLOCKS for state in latest.values()),
            "segments": segments}


def surfaces(user, client) -> dict:
    """Every judgement of every surface, as comparable per-record / per-patient values."""
    rest = api(user)
    seen: dict = {"titres": {}, "segments": {}, "studies": {}, "outcomes": {},
                  "page_titres": {}, "page_blocks": {}, "page_stale": {}}
    for patient in Patient.objects.order_by("code"):
        code = patient.code
        titres = rest.get("/api/v1/titres/", {"patient": patient.pk}).json()
        assert titres["next"] is None
        seen["titres"].update({_titre_key(code, t): t["significant"]
                               for t in titres["results"]})
        studies = rest.get("/api/v1/nerve-studies/", {"patient": patient.pk}).json()
        assert studies["next"] is None
        seen["studies"][code] = studies["results"]
        for study in studies["results"]:
            seen["segments"].update({_segment_key(code, study["studied_on"], s): s["block"]
                                     for s in study["segments"]})
        seen["outcomes"][code] = rest.get(f"/api/v1/patients/{patient.pk}/outcome/").json()
        html = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
        seen["page_titres"][code] = _page_titres(html)
        seen["page_blocks"][code] = _page_blocks(html)
        seen["page_stale"][code] = "Recomputing…" in html
    seen["table1"] = rest.get("/api/v1/reports/table1/").json()
    seen["table2"] = rest.get("/api/v1/reports/table2/").json()
    seen["table1_csv"] = _csv(rest.get("/api/v1/reports/table1/", {"format": "csv"}))
    seen["table2_csv"] = _csv(rest.get("/api/v1/reports/table2/", {"format": "csv"}))
    for table in ("table1", "table2"):  # the reports page's CSV download
        seen[f"{table}_page_csv"] = _csv(client.get(reverse("treatments:report_csv",
                                                            args=[table])))
    seen["admin_titres"] = _admin_titres(client)
    seen["export_titres"] = {_titre_key(r["patient"], r): BOOLEAN[r["significant"]]
                             for r in export_rows(user, "titres")}
    seen["export_segments"] = {_segment_key(r["patient"], r["studied_on"], r): r["block"]
                               for r in export_rows(user, "nerve_segments")}
    seen["export_outcomes"] = {r["patient"]: r for r in export_rows(user, "outcomes")}
    return seen


def stale_codes(seen: dict) -> set[str]:
    return {code for code, outcome in seen["outcomes"].items() if outcome["stale"]}


def assert_records_agree(seen: dict) -> None:
    """The per-record judgements (read live): API, page and export say the same."""
    assert seen["export_titres"] == seen["titres"]
    assert seen["admin_titres"] == seen["titres"]
    assert seen["export_segments"] == seen["segments"]
    for code, page in seen["page_titres"].items():
        api_rows = Counter((key[1], key[5], significant)
                           for key, significant in seen["titres"].items() if key[0] == code)
        assert page == api_rows, code


def assert_outcome_surfaces_agree(seen: dict) -> None:
    """The stored outcome's judgements: the outcome API, the page, the tables (JSON and
    CSV) and the outcomes export say the same, whether fresh or stale."""
    assert seen["table1_page_csv"] == seen["table1_csv"]
    assert seen["table2_page_csv"] == seen["table2_csv"]
    table1 = {row["case"]: row for row in seen["table1"]["rows"]}
    table1_csv = {row["case"]: row for row in seen["table1_csv"]}
    table2 = {row["case"]: row for row in seen["table2"]["rows"]}
    table2_csv = {row["case"]: row for row in seen["table2_csv"]}
    for code, outcome in seen["outcomes"].items():
        exported = seen["export_outcomes"][code]
        disability = outcome["disability"]["result"]
        assert (exported["status"], exported["disability_result"], exported["rules_version"],
                BOOLEAN[exported["stale"]]) == (
            outcome["status"], disability or "", outcome["rules_version"], outcome["stale"]
        ), code
        assert seen["page_stale"][code] == outcome["stale"], code
        blocks = outcome["conduction_blocks"] or {}
        assert seen["page_blocks"][code] == [
            (s["first"] or "", s["latest"] or "") for s in blocks.get("segments", [])], code
        if code in table1:
            gm1 = [t["significant"] for t in outcome["titres_before_ivig"]
                   if t["antigen"] == "gm1"]
            significant = gm1[0] if gm1 else None
            assert table1[code]["gm1_significant"] is significant, code
            assert table1_csv[code]["gm1_significant"] == {True: "yes", False: "no",
                                                           None: ""}[significant], code
            assert table1[code]["final_result"] == outcome["final"]["label"], code
            assert table1_csv[code]["final_result"] == outcome["final"]["label"], code
        if code in table2:
            assert table2[code]["result"] == disability, code
            assert table2_csv[code]["result"] == (disability or ""), code
            assert table2[code]["antibody_activity"] == [
                t["antigen"] for t in outcome["titres_significant"] if t["isotype"] == "IgM"]


def assert_fresh_outcomes_follow_the_records(seen: dict) -> None:
    """An outcome that says it is fresh agrees with the live per-record judgements."""
    for code, outcome in seen["outcomes"].items():
        if outcome["stale"]:
            continue
        for titre in outcome["titres_before_ivig"]:
            assert seen["titres"][_titre_key(code, titre)] is titre["significant"], code
        for titre in outcome["titres_significant"]:
            assert seen["titres"][_titre_key(code, titre)] is True, code
        blocks = outcome["conduction_blocks"] or {}
        evolution = _evolution(seen["studies"][code])
        assert {"first_study": blocks.get("first_study"),
                "latest_study": blocks.get("latest_study"),
                "segments": sorted((s["nerve"], s["side"], s["distal_site"],
                                    s["proximal_site"], s["first"], s["latest"])
                                   for s in blocks.get("segments", []))} == evolution, code


def judgements(seen: dict) -> dict:
    """The comparable judgements, to tell what changed."""
    return {
        "titres": seen["titres"], "segments": seen["segments"],
        "outcomes": {code: (o["status"], o["disability"]["result"],
                            tuple(t["significant"] for t in o["titres_before_ivig"]),
                            tuple(sorted((s["nerve"], s["side"], s["first"], s["latest"])
                                         for s in (o["conduction_blocks"] or {})
                                         .get("segments", []))))
                     for code, o in seen["outcomes"].items()},
        "table1": {r["case"]: r["gm1_significant"] for r in seen["table1"]["rows"]},
        "table2": {r["case"]: r["result"] for r in seen["table2"]["rows"]},
    }


def test_a_threshold_a_rule_set_default_and_a_criteria_set_are_followed_everywhere(
    client, superuser, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        load_demo()
    client.force_login(superuser)

    # (1) At the start every surface agrees, and every outcome is fresh.
    start = surfaces(superuser, client)
    assert stale_codes(start) == set()
    assert_records_agree(start)
    assert_outcome_surfaces_agree(start)
    assert_fresh_outcomes_follow_the_records(start)
    before = judgements(start)
    # The cohort has what the changes will move (else the test could not fail).
    assert before["table1"]["MMN-002"] is True  # anti-GM1 1/1600 ≥ 800
    assert before["table2"]["IGM-001"] == "improved"  # Prineas 3 → 2
    assert start["segments"][("MMN-006", "1994-03-21", "radial", "R", "forearm",
                              "above_elbow")] == "partial_block"

    # (2) Three reference-data changes; the recompute they enqueue has not run yet.
    gm1 = TitreThreshold.objects.get(center__isnull=True, current=True, antigen="gm1",
                                     isotype="IgM", method="elisa", unit="dilution")
    seed = RuleSet.objects.get(version="seed-2")
    criteria = BlockCriteriaSet.objects.get(code="seed-1")
    with django_capture_on_commit_callbacks() as recompute:
        threshold = titre_threshold_update(threshold=gm1, version=gm1.version,
                                           data={"value": Decimal("2000")}, by=superuser)
        # Two grades of Prineas needed to call an IgM-MGUS patient improved.
        rule_set_create(version="igm-strict-2", description="two Prineas grades",
                        parameters={**seed.parameters, "disability_improved_change": -2},
                        defaults=["igm_mgus_pn"], by=superuser)
        criteria = block_criteria_update(
            criteria_set=criteria, revision=criteria.revision,
            data={"parameters": {**criteria.parameters, "amplitude_drop_gt": 0.72}},
            by=superuser)
        pending = surfaces(superuser, client)
    assert recompute, "the changes enqueue a recompute once they commit"

    concerned = set(Patient.objects.filter(
        titres__antigen="gm1", titres__isotype="IgM", titres__method="elisa",
        titres__unit="dilution").values_list("code", flat=True))
    concerned |= set(Patient.objects.filter(diagnosis="igm_mgus_pn")
                     .values_list("code", flat=True))
    concerned |= set(Patient.objects.filter(nerve_studies__isnull=False)
                     .values_list("code", flat=True))
    assert stale_codes(pending) == concerned
    # The live per-record judgements already give the new answer, on every surface …
    assert_records_agree(pending)
    assert pending["titres"] != before["titres"]
    assert pending["segments"] != before["segments"]
    # … the stored ones still the old, on every surface, each marked stale …
    assert_outcome_surfaces_agree(pending)
    assert judgements(pending)["outcomes"] == before["outcomes"]
    # … and no outcome that says it is fresh disagrees with the records.
    assert_fresh_outcomes_follow_the_records(pending)

    # (3) The recompute runs: every surface agrees again, on the new answers.
    for callback in recompute:
        callback()
    end = surfaces(superuser, client)
    assert stale_codes(end) == set()
    assert_records_agree(end)
    assert_outcome_surfaces_agree(end)
    assert_fresh_outcomes_follow_the_records(end)
    after = judgements(end)
    assert after["titres"] == pending["titres"] and after["segments"] == pending["segments"]
    assert after["table1"]["MMN-002"] is False  # 1600 < 2000
    assert after["table1"]["MMN-006"] is True  # 3200 ≥ 2000
    assert after["table2"]["IGM-001"] == "stable"  # one grade is no longer enough
    assert end["segments"][("MMN-006", "1994-03-21", "radial", "R", "forearm",
                            "above_elbow")] == "no_block"  # a 71 % drop, now ≤ 72 %
    changed = {code for code in before["outcomes"]
               if before["outcomes"][code] != after["outcomes"][code]}
    assert {"MMN-002", "MMN-006", "IGM-001"} <= changed <= concerned
    for code, outcome in end["outcomes"].items():
        patient = Patient.objects.get(code=code)
        assert outcome["rules_version"] == (
            "igm-strict-2" if patient.diagnosis == "igm_mgus_pn" else "seed-2"), code
        assert outcome["criteria"] == "seed-1", code
        assert outcome["conduction_blocks"]["criteria"] == "seed-1", code
        # Recomputed: at the new revision; not concerned: not recomputed, still fresh.
        assert outcome["thresholds_revision"] == (
            threshold.revision if code in concerned
            else start["outcomes"][code]["thresholds_revision"]), code
        assert end["export_outcomes"][code]["rules_version"] == outcome["rules_version"]
    assert criteria.revision == 2
    assert concerned != set(end["outcomes"])  # some were not concerned


def test_a_rule_set_judging_blocks_by_another_criteria_set_is_followed_everywhere(
    client, superuser, django_capture_on_commit_callbacks
):
    """The segment block state of the nerve-studies API and the export is "under the
    default criteria": that of the rule set of the patient's diagnosis, the one the
    stored outcome, and so the page, use."""
    with django_capture_on_commit_callbacks(execute=True):
        load_demo()
    client.force_login(superuser)
    start = surfaces(superuser, client)
    seed = RuleSet.objects.get(version="seed-1")
    with django_capture_on_commit_callbacks() as recompute:
        rule_set_create(version="mmn-efns-2", description="EFNS/PNS blocks",
                        parameters={**seed.parameters, "block_criteria": "efns-pns-2010"},
                        defaults=["mmn"], by=superuser)
        pending = surfaces(superuser, client)
    mmn = set(Patient.objects.filter(diagnosis="mmn").values_list("code", flat=True))
    assert stale_codes(pending) == mmn
    assert_records_agree(pending)
    assert_outcome_surfaces_agree(pending)
    assert_fresh_outcomes_follow_the_records(pending)
    assert pending["segments"] != start["segments"]

    for callback in recompute:
        callback()
    end = surfaces(superuser, client)
    assert stale_codes(end) == set()
    assert_records_agree(end)
    assert_outcome_surfaces_agree(end)
    assert_fresh_outcomes_follow_the_records(end)
    assert end["segments"] == pending["segments"]
    for code in mmn:
        outcome = end["outcomes"][code]
        assert (outcome["rules_version"], outcome["criteria"],
                outcome["conduction_blocks"]["criteria"]) == (
            "mmn-efns-2", "efns-pns-2010", "efns-pns-2010"), code
    assert judgements(end)["outcomes"] != judgements(start)["outcomes"]

    # ``?criteria=seed-1`` (no longer MMN's) on the outcome, the nerve studies and the
    # page: one answer, the one the stored outcome gave under seed-1 at the start.
    rest = api(superuser)
    for code in mmn:
        pk = Patient.objects.get(code=code).pk
        chosen = rest.get(f"/api/v1/patients/{pk}/outcome/", {"criteria": "seed-1"}).json()
        studies = rest.get("/api/v1/nerve-studies/",
                           {"patient": pk, "criteria": "seed-1"}).json()["results"]
        page = client.get(reverse("patients:detail", args=[pk]), {"criteria": "seed-1"})
        blocks = chosen["conduction_blocks"]
        assert chosen["criteria"] == blocks["criteria"] == "seed-1"
        assert blocks == start["outcomes"][code]["conduction_blocks"], code
        assert _page_blocks(page.content.decode()) == [
            (s["first"] or "", s["latest"] or "") for s in blocks["segments"]], code
        assert {_segment_key(code, st["studied_on"], seg): seg["block"]
                for st in studies for seg in st["segments"]} == {
            key: block for key, block in start["segments"].items() if key[0] == code}, code

    # A revision of the set MMN no longer uses concerns no one, and changes no answer.
    seed_criteria = BlockCriteriaSet.objects.get(code="seed-1")
    with django_capture_on_commit_callbacks(execute=True):
        block_criteria_update(
            criteria_set=seed_criteria, revision=seed_criteria.revision,
            data={"parameters": {**seed_criteria.parameters, "amplitude_drop_gt": 0.9}},
            by=superuser)
        assert stale_codes(surfaces(superuser, client)) == set()
    assert judgements(surfaces(superuser, client)) == judgements(end)


def test_a_lower_limit_changed_in_the_admin_is_followed_everywhere(
    client, superuser, django_capture_on_commit_callbacks
):
    """The EFNS/PNS criteria read each nerve's lower limit of normal (clinical-rules.md
    §4): a limit changed in the admin moved the live block states of the API and the
    exports at once while the stored outcome, and so the page, kept the old summary and
    said it was fresh. It now goes stale, and the recompute follows."""
    with django_capture_on_commit_callbacks(execute=True):
        load_demo()
        seed = RuleSet.objects.get(version="seed-1")
        rule_set_create(version="mmn-efns-2", description="EFNS/PNS blocks",
                        parameters={**seed.parameters, "block_criteria": "efns-pns-2010"},
                        defaults=["mmn"], by=superuser)
    client.force_login(superuser)
    start = surfaces(superuser, client)
    assert stale_codes(start) == set()
    radial = NerveReference.objects.get(nerve="radial")
    with django_capture_on_commit_callbacks() as recompute:
        response = client.post(
            reverse("admin:treatments_nervereference_change", args=[radial.pk]),
            {"nerve": "radial", "lower_limit_amplitude_mv": "30", "source": "a typo"})
        assert response.status_code == 302, response.content.decode()[:2000]
        pending = surfaces(superuser, client)
    moved = {key[0] for key, block in pending["segments"].items()
             if block != start["segments"][key]}
    assert moved and {key[2] for key, block in pending["segments"].items()
                      if block != start["segments"][key]} == {"radial"}
    with_radial = set(Patient.objects.filter(nerve_studies__segments__nerve="radial")
                      .values_list("code", flat=True))
    assert moved <= stale_codes(pending) == with_radial
    assert_records_agree(pending)
    assert_outcome_surfaces_agree(pending)
    assert_fresh_outcomes_follow_the_records(pending)
    for callback in recompute:
        callback()
    end = surfaces(superuser, client)
    assert stale_codes(end) == set()
    assert_records_agree(end)
    assert_outcome_surfaces_agree(end)
    assert_fresh_outcomes_follow_the_records(end)
    assert {code for code in start["outcomes"] if judgements(start)["outcomes"][code]
            != judgements(end)["outcomes"][code]} & moved
    # Its source alone changes no judgement: no outcome goes stale.
    client.post(reverse("admin:treatments_nervereference_change", args=[radial.pk]),
                {"nerve": "radial", "lower_limit_amplitude_mv": "30.00", "source": "fixed"})
    assert NerveReference.objects.get(pk=radial.pk).source == "fixed"
    assert not Outcome.objects.stale().exists()


def test_a_centres_own_threshold_wins_on_every_surface(
    client, superuser, django_capture_on_commit_callbacks
):
    """A centre's own GM1 threshold (clinical-rules.md §5) is the one every surface reads
    for its patients; a later change of the general row concerns none of them."""
    with django_capture_on_commit_callbacks(execute=True):
        center, _ = load_demo()
    client.force_login(superuser)
    start = surfaces(superuser, client)
    assay = {"antigen": "gm1", "isotype": "IgM", "method": "elisa", "unit": "dilution"}
    with django_capture_on_commit_callbacks() as recompute:
        own = titre_threshold_create(data={**assay, "center": center, "value": Decimal("6400"),
                                           "source": "DEMO laboratory"}, by=superuser)
        pending = surfaces(superuser, client)
    concerned = set(Patient.objects.filter(**{f"titres__{k}": v for k, v in assay.items()})
                    .values_list("code", flat=True))
    assert stale_codes(pending) == concerned
    assert_records_agree(pending)
    assert_outcome_surfaces_agree(pending)
    assert_fresh_outcomes_follow_the_records(pending)
    for callback in recompute:
        callback()
    end = surfaces(superuser, client)
    assert stale_codes(end) == set()
    assert_records_agree(end)
    assert_outcome_surfaces_agree(end)
    assert_fresh_outcomes_follow_the_records(end)
    assert judgements(start)["table1"]["MMN-006"] is True  # 3200 ≥ 800
    assert judgements(end)["table1"]["MMN-006"] is False  # 3200 < 6400, the centre's own
    assert {end["outcomes"][code]["thresholds_revision"] for code in concerned} == {
        own.revision}

    general = TitreThreshold.objects.get(center__isnull=True, current=True, **assay)
    with django_capture_on_commit_callbacks(execute=True):
        titre_threshold_update(threshold=general, version=general.version,
                               data={"value": Decimal("100")}, by=superuser)
        assert stale_codes(surfaces(superuser, client)) == set()
    assert judgements(surfaces(superuser, client)) == judgements(end)
