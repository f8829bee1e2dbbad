"""The treatment-course demo (clinical-rules.md §10): a trial off with relapse, one
tolerated; the paper's patients unchanged."""

import pytest
from django.core.management import call_command

from patients.demo.course import load_course_demo
from patients.models import Patient
from registry.tests.factories import CenterFactory
from treatments.models import Outcome

pytestmark = pytest.mark.django_db


def test_a_relapse_and_a_tolerated_withdrawal(django_capture_on_commit_callbacks):
    center = CenterFactory(code="DEMO")
    with django_capture_on_commit_callbacks(execute=True):
        load_course_demo(center)
    outcomes = {o.patient.code: o for o in Outcome.objects.select_related("patient")}
    relapse, tolerated = outcomes["CIDP-T01"], outcomes["CIDP-T02"]
    assert not relapse.stale and not tolerated.stale
    [episode] = relapse.result["tailoring"]
    assert (episode["kind"], episode["result"], episode["relapse_on"]) == (
        "withdrawal", "relapse", "2022-08-08")
    assert relapse.status != "off_treatment"
    assert [e["result"] for e in tolerated.result["tailoring"]] == ["tolerated"]
    assert tolerated.status == "off_treatment"
    assert load_course_demo(center) == []  # idempotent


def test_the_command_loads_the_paper_and_the_course_demo(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", "--no-user", stdout=open("/dev/null", "w"))
    # The measures demo (§9, demo/cidp.py: CIDP-001..004), the paper's constructed CIDP-005
    # and the course demo's two (§10).
    assert set(Patient.objects.filter(diagnosis="cidp").values_list("code", flat=True)) == {
        "CIDP-001", "CIDP-002", "CIDP-003", "CIDP-004", "CIDP-005", "CIDP-T01", "CIDP-T02"}
    assert Patient.objects.exclude(diagnosis="cidp").count() == 23  # the paper's, unchanged
