from datetime import date

import pytest

import catalogues as cat
from patients.models import AffectedNerve, Identity, Patient, PinnedTargetMuscle
from registry.models import Membership
from registry.tests.api.helpers import AUTH_QUERIES, api
from registry.tests.factories import PatientFactory, TitreFactory, clinical_history
from treatments.api.outcome import OutcomeSerializer, outcome_payload
from treatments.models import Outcome
from treatments.services import outcome_recompute

URL = "/api/v1/patients/"

NEW_PATIENT = {
    "code": "MMN-100", "sex": "F", "birth_year": 1961, "diagnosis": "mmn", "onset_year": 1990,
    "neuropathy_pattern": "demyelinating",
    "affected_nerves": [{"side": "R", "nerve": "ulnar"}, {"side": "L", "nerve": "median"}],
    "target_muscles": [],
    "consent": {"given_on": "2024-01-02", "version": "v2", "withdrawn_on": None},
    "identity": {"name": "Ann Example", "date_of_birth": "1961-03-04",
                 "hospital_number": "H-1"},
}


def detail(patient) -> str:
    return f"{URL}{patient.pk}/"


@pytest.mark.django_db
class TestRead:
    def test_anonymous_gets_401(self, patient):
        assert api().get(URL).status_code == 401
        assert api().get(detail(patient)).status_code == 401

    def test_list_is_scoped_to_my_centres(self, clinician, patient, other_patient):
        response = api(clinician).get(URL)
        assert response.status_code == 200
        assert [row["code"] for row in response.json()["results"]] == ["MMN-900"]

    def test_list_never_shows_identity(self, clinician, patient):
        row = api(clinician).get(URL).json()["results"][0]
        assert "identity" not in row
        assert {"affected_nerves", "target_muscles", "consent", "version"} <= set(row)

    def test_clinician_sees_identity(self, clinician, patient):
        Identity.objects.create(patient=patient, name="Ann", hospital_number="H-9")
        body = api(clinician).get(detail(patient)).json()
        assert body["identity"] == {"name": "Ann", "date_of_birth": None,
                                    "hospital_number": "H-9"}

    def test_researcher_has_no_identity_key(self, researcher, patient):
        Identity.objects.create(patient=patient, name="Ann")
        response = api(researcher).get(detail(patient))
        assert response.status_code == 200
        assert "identity" not in response.json()

    def test_other_centre_patient_is_404(self, clinician, other_patient):
        assert api(clinician).get(detail(other_patient)).status_code == 404

    def test_filters(self, clinician, center):
        PatientFactory(center=center, code="A-1", diagnosis="mmn")
        PatientFactory(center=center, code="A-2", diagnosis="cidp")
        body = api(clinician).get(URL, {"diagnosis": "cidp", "center": "north"}).json()
        assert [row["code"] for row in body["results"]] == ["A-2"]
        assert api(clinician).get(URL, {"diagnosis": "flu"}).status_code == 400
        body = api(clinician).get(URL, {"ordering": "-code"}).json()
        assert [row["code"] for row in body["results"]] == ["A-2", "A-1"]

    def test_status_filter(self, clinician, center):
        plateau = PatientFactory(center=center, code="P-1")
        PatientFactory(center=center, code="P-2")
        Outcome.objects.filter(patient=plateau).update(status="plateau")
        body = api(clinician).get(URL, {"status": "plateau"}).json()
        assert [row["code"] for row in body["results"]] == ["P-1"]
        assert api(clinician).get(URL, {"status": "asleep"}).status_code == 400

    @pytest.mark.parametrize("rows", [1, 50])
    def test_list_query_count(self, clinician, center, rows, django_assert_num_queries):
        for _ in range(rows):
            PatientFactory(center=center)
        client = api(clinician)
        # auth, patients and their count (one query:
        # registry.api.pagination.CountingPaginator), their affected nerves, target
        # muscles and consent (one query: patients.selectors.attach_nested_rows)
        with django_assert_num_queries(AUTH_QUERIES + 2):
            response = client.get(URL)
        assert len(response.json()["results"]) == rows

    def test_the_list_shows_each_consent_as_the_detail_does(self, clinician, center):
        """The list reads consents with the nested rows, not joined to the page
        (patients.selectors.attach_nested_rows): given, withdrawn, in the future, none."""
        from patients.models import Consent
        given, withdrawn, future, none = (PatientFactory(center=center) for _ in range(4))
        for patient, given_on, withdrawn_on, version in (
                (given, date(2024, 1, 2), None, "v2"),
                (withdrawn, date(2023, 5, 1), date(2024, 6, 30), ""),
                (future, date(2999, 1, 1), None, "v9")):
            Consent.objects.update_or_create(patient=patient, defaults={
                "given_on": given_on, "withdrawn_on": withdrawn_on, "version": version})
        Consent.objects.filter(patient=none).delete()
        client = api(clinician)
        rows = {row["id"]: row for row in client.get(URL).json()["results"]}
        states = {}
        for patient in (given, withdrawn, future, none):
            shown = client.get(detail(patient)).json()
            row = rows[patient.pk]
            assert (row["consent"], row["consent_state"]) == (shown["consent"],
                                                              shown["consent_state"])
            states[patient.pk] = row["consent_state"]
        assert [states[p.pk] for p in (given, withdrawn, future, none)] == [
            "given", "withdrawn", "not_recorded", "not_recorded"]
        assert rows[withdrawn.pk]["consent"] == {"given_on": "2023-05-01", "version": "",
                                                 "withdrawn_on": "2024-06-30"}
        assert rows[none.pk]["consent"] is None

    def test_nested_lists_come_with_the_patient_row_in_entry_order(self, clinician, patient):
        AffectedNerve.objects.create(patient=patient, side="R", nerve="ulnar")
        AffectedNerve.objects.create(patient=patient, side="L", nerve="median")
        patient.target_muscles.create(muscle="biceps", side="L")
        client = api(clinician)
        for body in (client.get(detail(patient)).json(), client.get(URL).json()["results"][0]):
            assert body["affected_nerves"] == [{"side": "R", "nerve": "ulnar"},
                                               {"side": "L", "nerve": "median"}]
            assert body["target_muscles"] == [{"muscle": "biceps", "side": "L"}]

    @pytest.mark.parametrize("rows", [1, 18])  # nerves: one, or every nerve on both sides
    def test_detail_query_count(self, clinician, patient, rows, django_assert_num_queries):
        pairs = [(s, n) for n in cat.codes(cat.NERVES) for s in ("R", "L")][:rows]
        for side, nerve in pairs:
            AffectedNerve.objects.create(patient=patient, side=side, nerve=nerve)
        muscles = [(m, s) for m in cat.codes(cat.MUSCLES) for s in ("R", "L")][:rows]
        for muscle, side in muscles:
            PinnedTargetMuscle.objects.create(patient=patient, muscle=muscle, side=side)
        Identity.objects.create(patient=patient, name="Ann")
        client = api(clinician)
        # auth, patient with consent and identity, its affected nerves and target muscles
        # (one query: patients.selectors.attach_nested_rows), the access-log entry (the
        # identity was shown: registry.services.access_log_record)
        with django_assert_num_queries(AUTH_QUERIES + 3):
            body = client.get(detail(patient)).json()
        assert (len(body["affected_nerves"]), len(body["target_muscles"])) == (rows, rows)
        assert body["identity"]["name"] == "Ann"


@pytest.mark.django_db
class TestWrite:
    def test_create_with_nested_lists(self, clinician, center):
        response = api(clinician).post(URL, {**NEW_PATIENT, "center": center.pk}, format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["version"] == 1
        assert body["affected_nerves"] == NEW_PATIENT["affected_nerves"]
        assert body["identity"]["name"] == "Ann Example"
        assert body["consent"]["version"] == "v2"
        assert Patient.objects.get(code="MMN-100").center == center

    def test_bad_nested_element_names_its_index(self, clinician, center):
        payload = {**NEW_PATIENT, "center": center.pk, "affected_nerves": [
            {"side": "R", "nerve": "ulnar"}, {"side": "X", "nerve": "ulnar"}]}
        response = api(clinician).post(URL, payload, format="json")
        assert response.status_code == 400
        assert response.json()["affected_nerves"]["1"]["side"]  # DRF: {index: errors}
        assert not Patient.objects.filter(code="MMN-100").exists()

    def test_repeated_nested_element_is_refused(self, clinician, center):
        payload = {**NEW_PATIENT, "center": center.pk, "affected_nerves": [
            {"side": "R", "nerve": "ulnar"}, {"side": "R", "nerve": "ulnar"}]}
        response = api(clinician).post(URL, payload, format="json")
        assert response.status_code == 400
        assert "Item 1" in response.json()["affected_nerves"][0]
        assert not Patient.objects.filter(code="MMN-100").exists()

    def test_model_rule_is_a_400_naming_the_field(self, clinician, center):
        payload = {**NEW_PATIENT, "center": center.pk, "onset_year": 1950}
        response = api(clinician).post(URL, payload, format="json")
        assert response.status_code == 400
        assert response.json()  # onset before birth
        assert not Patient.objects.filter(code="MMN-100").exists()

    def test_other_centre_is_not_a_choice(self, clinician, other_center):
        response = api(clinician).post(URL, {**NEW_PATIENT, "center": other_center.pk},
                                       format="json")
        assert response.status_code == 400
        assert "center" in response.json()

    def test_researcher_cannot_write(self, researcher, center, patient):
        client = api(researcher)
        assert client.post(URL, {**NEW_PATIENT, "center": center.pk},
                           format="json").status_code == 403
        assert client.patch(detail(patient), {"notes": "x", "version": 1},
                            format="json").status_code == 403

    def test_patch_bumps_version_and_replaces_nested(self, clinician, patient):
        AffectedNerve.objects.create(patient=patient, side="R", nerve="ulnar")
        response = api(clinician).patch(detail(patient), {
            "version": 1, "notes": "seen", "affected_nerves": [{"side": "L", "nerve": "median"}],
        }, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["version"] == 2
        assert response.json()["affected_nerves"] == [{"side": "L", "nerve": "median"}]
        patient.refresh_from_db()
        assert patient.notes == "seen"

    def test_stale_version_is_refused(self, clinician, patient):
        response = api(clinician).patch(detail(patient), {"version": 7, "notes": "x"},
                                        format="json")
        assert response.status_code == 409
        assert "stale" in response.json()["detail"]
        patient.refresh_from_db()
        assert (patient.notes, patient.version) == ("", 1)

    def test_missing_version_is_refused(self, clinician, patient):
        response = api(clinician).patch(detail(patient), {"notes": "x"}, format="json")
        assert response.status_code == 400
        assert "required" in response.json()["version"][0]

    def test_put_needs_every_field(self, clinician, patient, center):
        response = api(clinician).put(detail(patient), {**NEW_PATIENT, "center": center.pk,
                                                        "version": 1}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["code"] == "MMN-100"

    def test_other_centre_patient_cannot_be_changed(self, clinician, other_patient):
        response = api(clinician).patch(detail(other_patient), {"version": 1, "notes": "x"},
                                        format="json")
        assert response.status_code == 404

    def test_patients_are_not_deleted(self, clinician, patient):
        assert api(clinician).delete(detail(patient)).status_code == 405


@pytest.mark.django_db
class TestOutcomeAndHistory:
    def test_outcome_never_misses_fields(self, clinician, patient):
        body = api(clinician).get(f"{detail(patient)}outcome/").json()
        assert body["patient"] == patient.pk
        assert body["stale"] is True
        assert body["computed_at"] is None
        assert body["final"] == {"grade": None, "persistent": None, "label": None}
        assert body["series"] == [] and body["flags"] == []

    def test_outcome_of_other_centre_is_404(self, clinician, other_patient):
        assert api(clinician).get(f"{detail(other_patient)}outcome/").status_code == 404

    def test_outcome_query_count(self, clinician, patient, django_assert_num_queries):
        client = api(clinician)
        # auth, patient joined with its outcome
        with django_assert_num_queries(AUTH_QUERIES + 1):
            client.get(f"{detail(patient)}outcome/")

    def test_history_lists_changes(self, clinician, center):
        client = api(clinician)
        created = client.post(URL, {**NEW_PATIENT, "center": center.pk}, format="json").json()
        client.patch(f"{URL}{created['id']}/", {"version": 1, "notes": "seen"}, format="json")
        body = client.get(f"{URL}{created['id']}/history/").json()
        entries = body["results"]
        update = next(e for e in entries if e["model"] == "patient" and e["action"] == "updated")
        assert update["changes"]["notes"] == ["", "seen"]
        assert update["user"] == "clinician"
        assert {"created"} <= {e["action"] for e in entries}
        assert any(e["model"] == "affectednerve" for e in entries)
        assert any(e["model"] == "identity" for e in entries)

    def test_researcher_history_has_no_identity(self, researcher, clinician, center):
        created = api(clinician).post(URL, {**NEW_PATIENT, "center": center.pk},
                                      format="json").json()
        entries = api(researcher).get(f"{URL}{created['id']}/history/").json()["results"]
        assert entries and not any(e["model"] == "identity" for e in entries)

    @pytest.mark.parametrize("rows", [2, 50])
    def test_history_query_count(self, clinician, patient, rows, django_assert_num_queries):
        for _ in range(rows - 2):  # the patient's and its consent's creation come first
            TitreFactory(patient=patient)
        client = api(clinician)
        # auth, patient, one query per audited model (16, tailoring episodes included)
        with django_assert_num_queries(AUTH_QUERIES + 1 + 16):
            body = client.get(f"{detail(patient)}history/", {"ordering": "at"}).json()
        assert body["count"] == rows

    def test_history_ordering(self, clinician, patient):
        TitreFactory(patient=patient)
        client = api(clinician)
        newest_first = client.get(f"{detail(patient)}history/").json()["results"]
        assert [e["model"] for e in newest_first] == ["titre", "consent", "patient"]
        oldest_first = client.get(f"{detail(patient)}history/", {"ordering": "at"}).json()
        assert [e["model"] for e in oldest_first["results"]] == ["patient", "consent", "titre"]
        by_model = client.get(f"{detail(patient)}history/", {"ordering": "-model"}).json()
        assert [e["model"] for e in by_model["results"]] == ["titre", "patient", "consent"]
        assert client.get(f"{detail(patient)}history/", {"ordering": "user"}).status_code == 400


def test_dates_are_iso(clinician, patient):
    body = api(clinician).get(detail(patient)).json()
    assert body["consent"]["given_on"] == "1990-01-01"
    assert date.fromisoformat(body["created_at"][:10])


def documented_keys(serializer) -> dict:
    """The documented shape as nested key sets: {field: subfields or None}."""
    shape = {}
    for name, field in serializer.fields.items():
        child = getattr(field, "child", field)
        shape[name] = documented_keys(child) if hasattr(child, "fields") else None
    return shape


def answered_keys(value, shape) -> dict | None:
    if shape is None:
        return None
    items = value if isinstance(value, list) else [value]
    keys: dict = {}
    for item in items:
        for name, sub in item.items():
            keys[name] = answered_keys(sub, shape.get(name)) if name in shape else "?"
    return keys or {name: answered_keys([], sub) for name, sub in shape.items()}


def test_outcome_without_computation_names_every_documented_field():
    payload = outcome_payload(patient_id=1, outcome=None)
    assert set(payload) == set(OutcomeSerializer().fields)
    assert payload["conduction_blocks"] == {
        "criteria": None, "first_study": None, "latest_study": None,
        "first_studied_on": None, "latest_studied_on": None, "segments": []}


@pytest.mark.django_db
def test_computed_outcome_has_exactly_the_documented_shape(clinician, center):
    patient = PatientFactory(center=center)
    clinical_history(patient, 3)
    outcome_recompute(patient_id=patient.pk)
    body = api(clinician).get(f"{detail(patient)}outcome/").json()
    shape = documented_keys(OutcomeSerializer())
    answered = answered_keys(body, shape)
    assert answered == {name: answered[name] for name in shape}  # nothing undocumented
    for name in ("conduction_blocks", "series", "visits", "titres_significant", "final"):
        assert answered[name] == shape[name], name
    assert body["stale"] is False and body["n_star"] is not None


@pytest.mark.django_db
def test_outcome_of_an_older_rules_version_still_has_every_field(clinician, patient):
    Outcome.objects.filter(patient=patient).update(
        result={"rules_version": "seed-0", "status": "plateau"}, computed_data_version=1)
    body = api(clinician).get(f"{detail(patient)}outcome/").json()
    assert set(OutcomeSerializer().fields) <= set(body)
    assert (body["status"], body["series"], body["n_star"]) == ("plateau", [], None)
    assert body["disability"]["before"] is None


@pytest.mark.django_db
def test_researcher_here_clinician_elsewhere_sees_no_identity_here(
    other_centre_clinician, center, patient
):
    Membership.objects.create(user=other_centre_clinician, center=center, role="researcher")
    Identity.objects.create(patient=patient, name="Ann")
    body = api(other_centre_clinician).get(detail(patient)).json()
    assert body["code"] == "MMN-900"
    assert "identity" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("reader", ["clinician", "researcher"])
@pytest.mark.parametrize("with_identity", [True, False])
@pytest.mark.parametrize("attached", [True, False])
def test_the_direct_representation_equals_drfs_generic_one(
    request, reader, with_identity, attached, patient, rf
):
    """PatientSerializer builds its answer directly for speed; DRF's generic path is the
    reference, for a patient with every field set and one with none."""
    from django.contrib.auth.models import User

    from patients.api.serializers import PatientSerializer
    from patients.models import Consent
    from patients.selectors import attach_nested_rows

    AffectedNerve.objects.create(patient=patient, side="R", nerve="median")
    AffectedNerve.objects.create(patient=patient, side="L", nerve="ulnar")
    PinnedTargetMuscle.objects.create(patient=patient, muscle="deltoid", side="L")
    Identity.objects.create(patient=patient, name="Jane Example", hospital_number="H1",
                            date_of_birth=date(1950, 5, 6))
    Consent.objects.update_or_create(patient=patient, defaults={
        "given_on": date(1993, 1, 2), "version": "v2", "withdrawn_on": date(1999, 3, 4)})
    bare = PatientFactory(center=patient.center, code="MMN-902", onset_year=None,
                          neuropathy_pattern=None, consent=None)
    http = rf.get("/api/v1/patients/")
    http.user = User.objects.get(pk=request.getfixturevalue(reader).pk)
    for record in (patient, bare):
        instance = Patient.objects.select_related("consent", "identity").get(pk=record.pk)
        if attached:
            attach_nested_rows([instance])
        serializer = PatientSerializer(
            context={"request": http, "with_identity": with_identity})
        assert serializer.to_representation(instance) == \
            serializer.generic_representation(instance)
        assert list(serializer.to_representation(instance)) == \
            list(serializer.generic_representation(instance))


@pytest.mark.django_db
def test_outcome_stale_follows_the_stored_versions(clinician, center):
    """The endpoint reads the columns, not an ``Outcome``: ``stale`` as ``Outcome.stale``."""
    patient = PatientFactory(center=center)
    clinical_history(patient, 2)
    url = f"{detail(patient)}outcome/"
    outcome_recompute(patient_id=patient.pk)
    stored = Outcome.objects.get(patient=patient)
    body = api(clinician).get(url).json()
    assert body["stale"] is stored.stale is False
    assert body["status"] == stored.result["status"]
    assert body["computed_at"].replace("Z", "+00:00") == stored.computed_at.isoformat()
    Outcome.objects.filter(pk=stored.pk).update(data_version=stored.data_version + 1)
    assert api(clinician).get(url).json()["stale"] is True
    Outcome.objects.filter(pk=stored.pk).delete()  # no row at all: never computed
    body = api(clinician).get(url).json()
    assert (body["stale"], body["computed_at"], body["status"]) == (True, None, None)
