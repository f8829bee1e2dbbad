import csv
import io

import pytest
from django.urls import reverse

from registry.tests.factories import PatientFactory, SeriesFactory


def test_reports_render_both_tables_with_summaries(client, clinician, patient, center):
    SeriesFactory(patient=patient, number=1)
    PatientFactory(center=center, code="PN-001", diagnosis="igm_mgus_pn")
    client.force_login(clinician)
    response = client.get(reverse("treatments:reports"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "MMN-900" in html and "PN-001" in html
    assert "initial response dramatic in" in html
    assert reverse("treatments:report_csv", args=["table1"]) in html


def test_filters_apply(client, clinician, patient, center):
    client.force_login(clinician)
    response = client.get(reverse("treatments:reports"), {"center": "elsewhere"})
    assert "MMN-900" not in response.content.decode()
    response = client.get(reverse("treatments:reports"), {"center": center.code})
    assert "MMN-900" in response.content.decode()


def test_csv_download(client, clinician, patient, other_patient):
    client.force_login(clinician)
    response = client.get(reverse("treatments:report_csv", args=["table1"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "case"
    assert [r[0] for r in rows[1:]] == ["MMN-900"]


def test_unknown_table_is_404(client, clinician):
    client.force_login(clinician)
    assert client.get("/reports/table9.csv").status_code == 404


def test_table2_in_its_groups(client, clinician, center):
    PatientFactory(center=center, code="PN-001", diagnosis="igm_mgus_pn")
    client.force_login(clinician)
    html = client.get(reverse("treatments:reports")).content.decode()
    assert "Not treated before IVIg" in html
    assert "Stopped for an adverse event" in html


@pytest.mark.parametrize("count", [1, 6])
def test_query_count_does_not_grow_with_cases(
    client, clinician, center, count, django_assert_num_queries
):
    for i in range(count):
        SeriesFactory(patient=PatientFactory(center=center, code=f"MMN-{i:03d}"), number=1)
        SeriesFactory(patient=PatientFactory(center=center, code=f"PN-{i:03d}",
                                             diagnosis="igm_mgus_pn"), number=1)
    client.force_login(clinician)
    # session, user; Table 1: memberships (scope), affected nerves, series, cohort with
    # outcome keys; Table 2: prior treatments, IgM proteins, series, cohort with outcome
    # keys; the consumption report: every series of the patients treated in the period;
    # the measures report's cohort with its outcomes' measures (§9); centres of the
    # filter, the criteria sets of the block selector. (14: the consumption section and
    # the measures section each added one query on their branches; both are counted.)
    with django_assert_num_queries(14):
        client.get(reverse("treatments:reports"))


def test_the_paper_tables_render_like_the_paper(
    client, superuser, django_capture_on_commit_callbacks
):
    from patients.demo.load import load_demo

    with django_capture_on_commit_callbacks(execute=True):
        load_demo()
    client.force_login(superuser)
    html = client.get(reverse("treatments:reports")).content.decode()
    for header in ("Sex/age", "Course (years)", "Distribution in motor nerves", "N*",
                   "Anti-GM1 titre before IVIg", "Treatments before IVIg",
                   "IgM antibody activity", "Neurological score before"):
        assert header in html
    assert "1/12800" in html  # case 4's anti-GM1 titre, written as in the paper
    assert "Mild persistent improvement if repeated" in html
    assert "initial response dramatic in 3/6" in html
    assert "previously treated: 4/7 improved one grade, 1/7 stable, 2/7 deteriorated" in html


@pytest.mark.parametrize("value", ["²", "9" * 5000])
def test_an_odd_centre_filter_is_no_match_not_an_error(client, clinician, patient, value):
    client.force_login(clinician)
    response = client.get(reverse("treatments:reports"), {"center": value})
    assert response.status_code == 200
    assert "MMN-900" not in response.content.decode()


@pytest.mark.parametrize("path", ["/reports/", "/patients/", "/lots/", "/api/v1/patients/"])
def test_a_nul_character_in_the_query_is_a_400(client, clinician, path):
    client.force_login(clinician)
    response = client.get(path, {"center": "a\x00b", "q": "\x00", "lot": "\x00"})
    assert response.status_code == 400


def test_the_criteria_selector_judges_table_1s_blocks_under_the_chosen_set(client, clinician):
    from patients.demo.load import load_demo

    load_demo()
    client.force_login(clinician)
    page = client.get(reverse("treatments:reports"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="criteria"' in html and "efns-pns-2010" in html
    chosen = client.get(reverse("treatments:reports"), {"criteria": "efns-pns-2010"})
    assert chosen.status_code == 200
    assert chosen.context["table1"]["criteria"] == "efns-pns-2010"
    unknown = client.get(reverse("treatments:reports"), {"criteria": "nope"})
    assert unknown.status_code == 400 and "Unknown criteria set" in unknown.content.decode()
    assert client.get(reverse("treatments:report_csv", args=["table1"]),
                      {"criteria": "nope"}).status_code == 400
