"""Sweeps over every API endpoint and every page: researchers never receive a direct
identifier, and a user of one centre reaches nothing of another centre's.

The API endpoints come from the OpenAPI schema, so an endpoint added later is swept too;
a path parameter the sweep does not know fails the test until it is taught here.
"""

from __future__ import annotations

import json

import pytest
from django.urls import URLPattern, resolve, reverse
from drf_spectacular.generators import SchemaGenerator

from exchange.datasets import DATASETS
from patients import urls as patient_urls
from patients.models import NerveStudy, Paraprotein, Patient, PriorTreatment, Titre, Visit
from registry.scoping import can_export, can_read_access_log, centre_path
from registry.tests.api.helpers import api
from registry.tests.trust import identifiers_in
from treatments import urls as treatment_urls
from treatments.models import Series, TailoringEpisode

pytestmark = pytest.mark.django_db

NOT_SWEPT = {"/api/v1/auth/token/"}  # signs in; returns no registry data
# Reference data every signed-in user reads (docs/api-decisions.md, "Reference data"): no
# patient, no centre scoping; their lists are still swept for identifiers and other
# centres' patients, their records by test_reference_data.py.
REFERENCE_DATA = ("/api/v1/rule-sets/", "/api/v1/titre-thresholds/", "/api/v1/block-criteria/")


def is_reference(path: str) -> bool:
    return path.startswith(REFERENCE_DATA)


def api_paths() -> dict[str, set[str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {path: set(ops) for path, ops in schema["paths"].items() if path not in NOT_SWEPT}


# Plain APIViews (no serializer, no queryset) whose ``{id}`` is the id of this model.
ID_OF_PLAIN_VIEW = {"/api/v1/fhir/Patient/{id}/$everything": Patient}


def model_of(path: str):
    view = resolve(path.replace("{id}", "1")).func
    if not hasattr(view.cls, "serializer_class"):
        assert path in ID_OF_PLAIN_VIEW, f"The trust sweep does not know {path}; teach it."
        return ID_OF_PLAIN_VIEW[path]
    if view.cls.serializer_class is None:  # an action on another resource's records
        return view.cls.queryset.model
    return view.cls.serializer_class.Meta.model


def ids_in_centre(model, patient) -> list[int]:
    path = centre_path(model)
    lookup = "pk" if path == "pk" else f"{path}_id"
    return list(model.objects.filter(**{lookup: patient.center_id}).values_list("pk", flat=True))


def urls_for(path: str, patient, lot: str) -> list[str]:
    if "{" not in path:
        return [path]
    if is_reference(path):
        return []
    if path.count("{") == 1 and "{id}" in path:
        return [path.replace("{id}", str(pk)) for pk in ids_in_centre(model_of(path), patient)]
    if path.count("{") == 1 and "{lot}" in path:
        return [path.replace("{lot}", lot)]
    if path.count("{") == 1 and "{dataset}" in path:  # every dataset, one by one (as CSV)
        return [path.replace("{dataset}", dataset.name) for dataset in DATASETS]
    raise AssertionError(f"The trust sweep does not know the parameters of {path}; teach it.")


def text_of(response) -> str:
    if response.streaming:  # exports are streamed
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def get_all(client, url: str, user) -> list[tuple[object, str]]:
    """GET ``url`` (every page of a list; CSV too for the reports): (response, text) pairs.

    Bulk exports are left out for a user whose role does not export (they answer 403);
    the data dictionary (``exports/`` itself) is for everyone.
    """
    if "/exports/" in url and not url.endswith("/exports/") and not can_export(user):
        assert client.get(url).status_code == 403, url
        return []
    if "/access-log/" in url and not can_read_access_log(user):  # data managers only
        expected = 403 if url.endswith("/access-log/") else 404  # an entry: never revealed
        assert client.get(url).status_code == expected, url
        return []
    answers = []
    pending = [url, *([f"{url}?format=csv"] if "/reports/" in url else [])]
    while pending:
        response = client.get(pending.pop())
        text = text_of(response)
        answers.append((response, text))
        is_json = response["Content-Type"].startswith("application/json")
        body = json.loads(text) if is_json else None
        if isinstance(body, dict) and body.get("next"):
            pending.append(body["next"])
    return answers


def test_a_researcher_never_receives_an_identifier_from_the_api(researcher, world):
    client = api(researcher)
    swept = 0
    for path, methods in api_paths().items():
        if "get" not in methods:
            continue
        urls = urls_for(path, world.mine, lot="L1")
        assert urls or is_reference(path), f"nothing of the researcher's centre at {path}"
        for url in urls:
            for response, text in get_all(client, url, researcher):
                assert response.status_code == 200, (url, response.status_code)
                assert not identifiers_in(text), (url, identifiers_in(text))
                swept += 1
    assert swept > 25


def test_the_sweep_would_see_an_identifier(clinician, world):
    """Control: the same identifiers are in a clinician's answer, so the sweep can fail."""
    text = api(clinician).get(f"/api/v1/patients/{world.mine.pk}/").content.decode()
    assert identifiers_in(text)
    history = api(clinician).get(f"/api/v1/patients/{world.mine.pk}/history/").content.decode()
    assert identifiers_in(history)


@pytest.mark.parametrize("user", ["clinician", "data_manager", "researcher"])
def test_another_centres_objects_are_404_on_every_api_endpoint(request, user, world):
    client = api(request.getfixturevalue(user))
    checked = 0
    for path, methods in api_paths().items():
        if "{id}" not in path:
            continue
        for url in urls_for(path, world.theirs, lot=""):
            for method in sorted(methods):
                response = getattr(client, method)(url, {}, format="json")
                assert response.status_code == 404, (method, url, response.status_code)
                checked += 1
    assert checked > 30
    assert Titre.objects.filter(patient=world.theirs).count() == 2  # nothing deleted


@pytest.mark.parametrize("user", ["clinician", "data_manager", "researcher"])
def test_api_lists_lots_and_reports_hold_nothing_of_another_centre(request, user, world):
    member = request.getfixturevalue(user)
    client = api(member)
    theirs = world.theirs
    for path, methods in api_paths().items():
        if "get" not in methods or "{id}" in path:
            continue
        for url in urls_for(path, world.mine, lot="L1"):
            for response, text in get_all(client, url, member):
                assert response.status_code == 200, url
                assert theirs.code not in text and "south" not in text, url
                if not response["Content-Type"].startswith("application/json"):
                    continue
                body = json.loads(text)
                for row in body.get("results", []) if isinstance(body, dict) else []:
                    # a record names its patient; a patient row is the patient itself
                    patient_id = row.get("patient", row.get("id") if "code" in row else None)
                    assert patient_id != theirs.pk, (url, row)
                    assert row.get("code") != theirs.code, (url, row)


NOT_PATIENT_RECORDS = {"/api/v1/patients/", "/api/v1/centers/",  # they name no patient
                       *REFERENCE_DATA}


def test_creating_a_record_for_another_centres_patient_is_refused(clinician, world):
    for path, methods in api_paths().items():
        if "post" not in methods or "{" in path or path in NOT_PATIENT_RECORDS:
            continue
        response = api(clinician).post(path, {"patient": world.theirs.pk}, format="json")
        assert response.status_code == 400, path
        assert "does not exist" in str(response.json()["patient"]), path


# Pages ------------------------------------------------------------------------------

RECORD_OF = {
    "visit_edit": Visit, "titre_edit": Titre, "paraprotein_edit": Paraprotein,
    "prior_treatment_edit": PriorTreatment, "nerve_study_edit": NerveStudy,
    "series_edit": Series, "visit_sign": Visit, "visit_unlock": Visit, "series_sign": Series,
    "series_unlock": Series, "tailoring_edit": TailoringEpisode,
}
# Pages that read (no entry): a researcher opens them for their own centre's patients,
# without identifiers (docs/ui-decisions.md, "Printable summary").
READ_PAGES = {"detail", "summary_pdf"}


def patient_pages() -> list[URLPattern]:
    patterns = [*patient_urls.urlpatterns, *treatment_urls.urlpatterns]
    return [p for p in patterns if "pk" in p.pattern.converters]


def page_url(pattern: URLPattern, patient, record_owner) -> str:
    app = "patients" if pattern in patient_urls.urlpatterns else "treatments"
    kwargs = {"pk": patient.pk}
    for name in pattern.pattern.converters:
        if name == "pk":
            continue
        model = RECORD_OF.get(pattern.name)
        assert model is not None, f"The trust sweep does not know page {pattern.name}; teach it."
        kwargs[name] = model.objects.filter(patient=record_owner).first().pk
    return reverse(f"{app}:{pattern.name}", kwargs=kwargs)


@pytest.mark.parametrize("user", ["clinician", "data_manager", "researcher"])
def test_another_centres_patient_pages_are_404(client, request, user, world):
    client.force_login(request.getfixturevalue(user))
    pages = patient_pages()
    assert len(pages) >= 12
    for pattern in pages:
        for owner_of_page, owner_of_record in ((world.theirs, world.theirs),
                                                (world.mine, world.theirs)):
            if owner_of_page == world.mine and set(pattern.pattern.converters) == {"pk"}:
                continue  # the user's own patient: not this test's business
            url = page_url(pattern, owner_of_page, owner_of_record)
            # A researcher's own patient's entry pages are refused (403) before any record
            # is looked up; another centre's record is never reached either way.
            expected = {403, 404} if user == "researcher" and owner_of_page == world.mine else {404}
            assert client.get(url).status_code in expected, url
            assert client.post(url, {}).status_code in expected, url


def test_list_lots_and_reports_pages_show_nothing_of_another_centre(client, clinician, world):
    client.force_login(clinician)
    for url in ("/patients/", "/lots/?lot=L1", "/reports/", "/reports/table1.csv",
                "/reports/table1.csv?center=south", "/reports/?center=south",
                f"/patients/?center={world.theirs.center_id}"):
        text = client.get(url).content.decode()
        assert world.theirs.code not in text, url
    assert world.mine.code in client.get("/lots/?lot=L1").content.decode()


def test_a_researcher_never_sees_an_identifier_on_a_page(client, researcher, world):
    client.force_login(researcher)
    mine = world.mine.pk
    for url in ("/patients/", f"/patients/{mine}/", "/lots/?lot=L1", "/reports/",
                "/reports/table1.csv", "/reports/table2.csv"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not identifiers_in(response.content.decode()), url


def test_the_page_sweep_would_see_an_identifier(client, clinician, world):
    client.force_login(clinician)
    assert identifiers_in(client.get(f"/patients/{world.mine.pk}/").content.decode())


def test_a_researcher_may_not_open_any_entry_page(client, researcher, world):
    client.force_login(researcher)
    for pattern in [*patient_pages(), *[p for p in patient_urls.urlpatterns
                                         if p.name == "new"]]:
        if pattern.name in READ_PAGES:
            continue
        if "pk" in pattern.pattern.converters:
            url = page_url(pattern, world.mine, world.mine)
        else:
            url = reverse(f"patients:{pattern.name}")
        assert client.get(url).status_code == 403, url
        assert client.post(url, {}).status_code == 403, url
