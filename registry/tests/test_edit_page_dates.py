"""Every date input the pages render carries its value in ISO, the only format a browser
date input reads (issue 20, item 1); the browser test in browser/ saves each edit page."""

from __future__ import annotations

import inspect
import re
from datetime import date
from html.parser import HTMLParser

import pytest
from django import forms
from django.urls import reverse

import exchange.forms
import patients.forms
import treatments.forms
from registry.tests.edit_pages import EDIT_PAGES, EditPage, edit_page_names, record_everything
from registry.widgets import IsoDateInput

pytestmark = pytest.mark.django_db

ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


class DateInputs(HTMLParser):
    """The ``value`` of every ``<input type="date">``, by name."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "date":
            self.values[attributes["name"]] = attributes.get("value") or ""


@pytest.fixture
def recorded(center, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return record_everything(center)


def test_the_list_names_every_edit_page():
    assert edit_page_names() == {edit.name for edit in EDIT_PAGES}


@pytest.mark.parametrize("edit", EDIT_PAGES, ids=lambda e: e.name.split(":")[1])
def test_an_edit_page_shows_its_dates_in_iso(client, clinician, recorded, edit: EditPage):
    client.force_login(clinician)
    response = client.get(edit.url(recorded))
    assert response.status_code == 200
    shown = DateInputs(response.content.decode()).values
    assert set(edit.dates) <= set(shown)
    stored = (edit.model.objects.values(*edit.dates).get(pk=recorded.ids[edit.record])
              if edit.dates else {})
    for name, value in shown.items():
        assert value == "" or ISO.fullmatch(value), (name, value)
    assert {name: shown[name] for name in edit.dates} == {
        name: day.isoformat() for name, day in stored.items()}


def test_the_new_visit_page_proposes_today_in_iso(client, clinician, patient):
    client.force_login(clinician)
    response = client.get(reverse("patients:visit_new", args=[patient.pk]))
    assert DateInputs(response.content.decode()).values == {
        "visited_on": date.today().isoformat()}


def test_a_refused_edit_shows_the_submitted_date_again(client, clinician, recorded):
    client.force_login(clinician)
    url = reverse("patients:prior_treatment_edit",
                  args=[recorded.patient.pk, recorded.ids["prior_treatment"]])
    response = client.post(url, {"kind": "steroids", "started_on": "1993-05-06",
                                 "ended_on": "1993-05-01", "notes": "", "version": 1})
    assert response.status_code == 200
    assert DateInputs(response.content.decode()).values == {
        "started_on": "1993-05-06", "ended_on": "1993-05-01"}


def _form_classes():
    for module in (patients.forms, treatments.forms, exchange.forms):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield cls


@pytest.mark.parametrize("form_class", list(_form_classes()), ids=lambda c: c.__name__)
def test_every_date_field_of_every_form_uses_the_iso_widget(form_class):
    for name, field in form_class.base_fields.items():
        if isinstance(field, forms.DateField):
            assert isinstance(field.widget, IsoDateInput), f"{form_class.__name__}.{name}"
