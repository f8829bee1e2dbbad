from django.urls import reverse

from patients.models import Visit
from registry.tests.factories import MrcGradeFactory, SeriesFactory, VisitFactory


def new_url(patient):
    return reverse("patients:visit_new", args=[patient.pk])


def _data(**extra):
    return {"visited_on": "1994-01-01", "kind": "baseline", "series": "", "examiner": "Dr A",
            "functional_score": "3", "prineas_score": "", "notes": "",
            "mrc_deltoid_R": "4", "mrc_biceps_L": "0", **extra}


def test_grid_has_every_muscle_and_side(client, clinician, patient):
    client.force_login(clinician)
    response = client.get(new_url(patient))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('name="mrc_') == 30
    assert 'name="mrc_gastrocnemius_L"' in html


def test_series_proposed_from_the_date(client, clinician, patient):
    series = SeriesFactory(patient=patient, number=1, started_on="1994-01-10")
    client.force_login(clinician)
    form = client.get(new_url(patient)).context["form"]
    assert form.initial["series"] == series.pk
    assert form.initial["kind"] == "post_series"


def test_records_visit_and_grades(client, clinician, patient):
    client.force_login(clinician)
    response = client.post(new_url(patient), _data())
    assert response.status_code == 302
    visit = Visit.objects.get(patient=patient)
    assert {(g.muscle, g.side, g.grade) for g in visit.mrc.all()} == {
        ("deltoid", "R", 4), ("biceps", "L", 0)}
    assert visit.recorded_by == clinician


def test_errors_next_to_fields_and_typed_values_kept(client, clinician, patient):
    client.force_login(clinician)
    response = client.post(new_url(patient), _data(kind="post_series", mrc_triceps_R="7"))
    assert response.status_code == 200
    form = response.context["form"]
    assert "mrc_triceps_R" in form.errors
    assert b'<option value="4" selected>' in response.content
    assert not Visit.objects.exists()


def test_model_rule_reaches_the_form(client, clinician, patient):
    client.force_login(clinician)
    response = client.post(new_url(patient), _data(kind="post_series"))
    assert response.status_code == 200
    assert "must name its series" in str(response.context["form"].errors)


def test_scoping_and_roles(client, clinician, researcher, other_patient, patient):
    client.force_login(clinician)
    assert client.get(new_url(other_patient)).status_code == 404
    client.force_login(researcher)
    assert client.get(new_url(patient)).status_code == 403


def test_edit_keeps_grades_and_refuses_a_stale_version(client, clinician, patient):
    visit = VisitFactory(patient=patient)
    MrcGradeFactory(visit=visit, muscle="deltoid", side="R", grade=3)
    url = reverse("patients:visit_edit", args=[patient.pk, visit.pk])
    client.force_login(clinician)
    form = client.get(url).context["form"]
    assert form.initial["mrc_deltoid_R"] == 3
    response = client.post(url, _data(version=str(visit.version), mrc_deltoid_R="5"))
    assert response.status_code == 302
    response = client.post(url, _data(version=str(visit.version), examiner="Dr B"))
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    visit.refresh_from_db()
    assert visit.examiner == "Dr A"
    assert visit.mrc.get(muscle="deltoid").grade == 5


def test_a_repeated_date_and_kind_is_a_form_error_beside_the_date(client, clinician, patient):
    VisitFactory(patient=patient, visited_on="1994-01-01", kind="baseline", examiner="Dr A")
    client.force_login(clinician)
    response = client.post(new_url(patient), _data(examiner="Dr B"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["visited_on"]
    assert "already has a visit of kind" in errors["visited_on"][0]
    assert list(Visit.objects.values_list("examiner", flat=True)) == ["Dr A"]
