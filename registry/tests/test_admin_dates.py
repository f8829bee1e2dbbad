"""The admin's own date widgets round-trip: a change page posted back as rendered keeps
every date (issue 20, item 1 checked the pages; the admin renders en-GB text inputs)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from registry.tests.edit_pages import MODELS_WITH_DATES, every_date, record_everything

pytestmark = pytest.mark.django_db


class AdminForm(HTMLParser):
    """What a browser would submit from the admin's change form, left untouched."""

    def __init__(self, html: str, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside = form_id, False
        self.data: list[tuple[str, str]] = []
        self.date_texts: dict[str, str] = {}
        self.date_types: set[str | None] = set()
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside or not a.get("name") and tag != "option":
            return
        if tag == "input" and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.append((a["name"], a.get("value") or ("on" if a.get("type") ==
                                                            "checkbox" else "")))
            if "vDateField" in (a.get("class") or ""):
                self.date_texts[a["name"]] = a.get("value") or ""
                self.date_types.add(a.get("type"))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.data.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.data.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None


def _post_data(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return data


ADMINS = ["patient", *[m._meta.model_name for m in MODELS_WITH_DATES
                       if m._meta.model_name not in ("identity", "consent")]]


@pytest.mark.parametrize("model_name", ADMINS)
def test_an_unchanged_admin_save_keeps_every_date(client, superuser, center, model_name,
                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        recorded = record_everything(center)
    before = every_date(recorded.patient)
    pk = recorded.patient.pk if model_name == "patient" else {
        "visit": recorded.ids["visit"], "series": recorded.ids["series"],
        "titre": recorded.ids["titre"], "paraprotein": recorded.ids["paraprotein"],
        "priortreatment": recorded.ids["prior_treatment"],
        "nervestudy": recorded.ids["nerve_study"],
        "tailoringepisode": recorded.ids["tailoring"]}[model_name]
    app = "treatments" if model_name in ("series", "tailoringepisode") else "patients"
    url = reverse(f"admin:{app}_{model_name}_change", args=[pk])
    client.force_login(superuser)

    form = AdminForm(client.get(url).content.decode(), f"{model_name}_form")
    assert form.date_texts, "the change page shows no date field"
    # A text input with the admin's calendar: its en-GB value is shown as written (a
    # type="date" input would show it empty, as the pages did).
    assert form.date_types == {"text"}
    assert all(text for name, text in form.date_texts.items()
               if not name.endswith("withdrawn_on") and "__prefix__" not in name), form.date_texts
    response = client.post(url, _post_data(form.data))

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert every_date(recorded.patient) == before
