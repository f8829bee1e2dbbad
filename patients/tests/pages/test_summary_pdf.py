"""The printable one-page summary, ``/patients/<id>/summary.pdf``: rendered to PNG and read
back as text, as a person printing it would see it."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from django.urls import reverse

from patients.models import Identity
from registry.tests.factories import clinical_history
from treatments.models import Outcome
from treatments.services import outcome_recompute

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def url(patient):
    return reverse("patients:summary_pdf", args=[patient.pk])


@pytest.fixture
def treated(patient):
    Identity.objects.update_or_create(patient=patient, defaults={
        "name": "Jane Example", "hospital_number": "H-4242"})
    clinical_history(patient, 4)
    outcome_recompute(patient_id=patient.pk)
    return patient


def _pages(response) -> list[tuple[str, object]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    document = pdfium.PdfDocument(io.BytesIO(response.content))
    pages = []
    for page in document:
        text = page.get_textpage().get_text_range()
        pages.append((text, page.render(scale=1).to_pil().convert("L")))
    return pages


def test_one_non_blank_page_with_the_patient_and_the_outcome(client, clinician, treated):
    client.force_login(clinician)
    pages = _pages(client.get(url(treated)))
    assert len(pages) == 1
    text, image = pages[0]
    ARTIFACTS.mkdir(exist_ok=True)
    image.save(ARTIFACTS / "summary-pdf.png")
    low, high = image.getextrema()
    assert low < 100 and high > 200  # ink on paper
    dark = sum(1 for value in image.tobytes() if value < 128)
    assert dark > 0.005 * image.width * image.height  # more than a line of text
    assert "MMN-900" in text
    assert "Jane Example" in text and "H-4242" in text
    outcome = Outcome.objects.get(patient=treated)
    assert f"rule set {outcome.rules_version}" in text
    assert "Last series" in text and "IVIg" in text
    assert "Status" in text and "N*" in text


def test_a_researcher_prints_no_identity(client, researcher, treated):
    client.force_login(researcher)
    ((text, _),) = _pages(client.get(url(treated)))
    assert "MMN-900" in text
    assert "Jane Example" not in text and "H-4242" not in text


def test_measures_of_the_stored_outcome_are_printed_when_present(client, clinician, treated):
    outcome = Outcome.objects.get(patient=treated)
    outcome.result = {
        **outcome.result, "primary_measure": "incat", "primary_baseline": 5,
        "visits": [{**v, "scores": {**v.get("scores", {}), "incat": 5 - i % 3}}
                   for i, v in enumerate(outcome.result["visits"])],
        "measures": [{"measure": "incat", "baseline": 5, "latest": 3, "change": -2,
                      "result": "improved", "mcid": 1, "responder": True}],
    }
    outcome.save(update_fields=["result"])
    client.force_login(clinician)
    ((text, _),) = _pages(client.get(url(treated)))
    assert "Outcome measures" in text and "INCAT disability scale" in text
    assert "Improved" in text and "baseline 5" in text
    assert "lower is better, drawn upwards" in text  # the primary measure's chart
    assert "Target-muscle score" not in text


def test_another_centre_is_not_found(client, other_centre_clinician, treated):
    client.force_login(other_centre_clinician)
    assert client.get(url(treated)).status_code == 404


def test_login_is_required(client, treated):
    response = client.get(url(treated))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
