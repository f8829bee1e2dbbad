"""French and English pages (issue 18, item 1): every visible string of a template is
marked, every marked string has its French translation, the catalogues are up to date
with the code, and a page asked for in French shows no English label — while the codes of
the API never change with the language."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

from registry.i18n_check import untranslated, untranslated_in
from registry.models import Role
from registry.tests.edit_pages import EDIT_PAGES, record_everything
from registry.tests.factories import CenterFactory, member
from treatments.management.commands.i18n_labels import MAKEMESSAGES_IGNORE, render

ROOT = Path(settings.BASE_DIR)
FRENCH = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
ENGLISH = ROOT / "locale" / "en_GB" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")


def template_directories() -> list[Path]:
    """The project's template directories: templates/ and any app's own templates/."""
    return [ROOT / "templates", *sorted(
        path for path in ROOT.glob("*/templates")
        if path.is_dir() and not path.parent.name.startswith("."))]


def test_no_template_shows_an_unmarked_literal():
    assert [problem for directory in template_directories()
            for problem in untranslated_in(directory)] == []


def test_the_check_finds_text_attributes_and_titles():
    source = ('{% block title %}Sign in{% endblock %}\n<p title="Hello">{% translate "Ok" %}'
              '</p><input placeholder="{{ x }}">{# a comment #}<code>unzip()</code>\n'
              '{% blocktranslate %}Fine {{ n }}{% endblocktranslate %} — · 12')
    assert [text for _, text in untranslated(source)] == ['title="Hello"', "Sign in"]


def test_every_french_entry_is_translated_with_the_same_placeholders():
    catalogue = polib.pofile(str(FRENCH))
    problems = []
    for entry in catalogue:
        texts = ([entry.msgstr] if not entry.msgid_plural
                 else list(entry.msgstr_plural.values()))
        if entry.obsolete or "fuzzy" in entry.flags or not all(texts):
            problems.append(f"not translated: {entry.msgid!r}")
            continue
        wanted = set(PLACEHOLDER.findall(entry.msgid + (entry.msgid_plural or "")))
        for text in texts:
            if set(PLACEHOLDER.findall(text)) - wanted or (
                    not entry.msgid_plural and set(PLACEHOLDER.findall(text)) != wanted):
                problems.append(f"placeholders differ: {entry.msgid!r} → {text!r}")
    assert problems == []
    assert len(catalogue) > 300


def test_the_english_catalogue_holds_the_same_messages():
    french = {e.msgid for e in polib.pofile(str(FRENCH))}
    english = {e.msgid for e in polib.pofile(str(ENGLISH))}
    assert english == french


def test_the_labels_file_is_up_to_date():
    """Code lists, model fields and the rules' labels reach the catalogues through
    registry/i18n_labels.py: `manage.py i18n_labels` after changing one."""
    assert (ROOT / "registry" / "i18n_labels.py").read_text(encoding="utf-8") == render()


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (CI installs it)")
def test_the_catalogues_hold_every_marked_string(tmp_path):
    """`makemessages` run on a copy of the tree finds no message the committed French
    catalogue lacks (a new {% translate %} without its translation fails here)."""
    copy = tmp_path / "tree"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".*", "node_modules", "staticfiles", "__pycache__", "*.mo", "test-artifacts",
        "db.sqlite3", "media"))
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-obsolete",
         *[arg for pattern in MAKEMESSAGES_IGNORE for arg in ("-i", pattern)]],
        cwd=copy, check=True, capture_output=True,
        env={"DJANGO_SETTINGS_MODULE": "registry.settings.test", "PATH": "/usr/bin:/bin",
             "DATABASE_URL": "sqlite:///" + str(tmp_path / "db.sqlite3")},
    )
    found = {e.msgid for e in polib.pofile(str(copy / "locale/fr/LC_MESSAGES/django.po"))}
    committed = {e.msgid for e in polib.pofile(str(FRENCH))}
    assert sorted(found - committed) == []


class VisibleText(HTMLParser):
    """The text a reader sees: text nodes outside script and style."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._hidden = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.texts.append(data.strip())


def english_left(html: str) -> list[str]:
    """Text nodes of a French page that are an English message of the catalogue whose
    French differs (a label shown without being translated)."""
    catalogue = polib.pofile(str(FRENCH))
    english = {e.msgid for e in catalogue if e.msgstr and e.msgstr != e.msgid
               and len(e.msgid) > 3}
    return sorted({text for text in VisibleText(html).texts if text in english})


@pytest.fixture
def recorded(db):
    return record_everything(CenterFactory(code="PSL"))


@pytest.fixture
def french(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    return client


@pytest.mark.django_db
def test_the_sign_in_page_follows_the_browser_language(client):
    english = client.get(reverse("login")).content.decode()
    french = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "<h1>Sign in</h1>" in english and '<html lang="en">' in english
    assert "<h1>Connexion</h1>" in french and '<html lang="fr">' in french


@pytest.mark.django_db
def test_the_header_switch_sets_the_language(client):
    answer = client.post(reverse("set_language"), {"language": "fr", "next": "/accounts/login/"})
    assert answer.status_code == 302
    assert answer.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert "<h1>Connexion</h1>" in client.get(reverse("login")).content.decode()


def pages(recorded) -> list[str]:
    patient = recorded.patient.pk
    return [
        reverse("patients:list"), reverse("patients:detail", args=[patient]),
        reverse("patients:new"), reverse("patients:visit_new", args=[patient]),
        reverse("treatments:series_new", args=[patient]),
        reverse("patients:nerve_study_new", args=[patient]),
        reverse("treatments:lots") + "?lot=none", reverse("treatments:reports"),
        reverse("exchange:exports"), reverse("exchange:imports"),
        *[page.url(recorded) for page in EDIT_PAGES],
        reverse("treatments:worklist"), reverse("queries:list"),
        reverse("treatments:tailoring_new", args=[patient]),
        reverse("treatments:tailoring_edit", args=[patient, tailoring_episode(recorded).pk]),
        reverse("two_factor:profile"),
    ]


def tailoring_episode(recorded):
    from treatments.services import tailoring_record

    return tailoring_record(patient=recorded.patient, data={
        "kind": "interval_extension", "started_on": date(2024, 3, 1)})


def test_french_pages_show_no_english_label(recorded, french):
    user = member(center=recorded.patient.center, role=Role.DATA_MANAGER, is_staff=True)
    french.force_login(user)
    leftovers = {}
    for url in pages(recorded):
        answer = french.get(url)
        assert answer.status_code == 200, url
        if found := english_left(answer.content.decode()):
            leftovers[url] = found
    assert not leftovers, "\n".join(f"{url}: {found}" for url, found in leftovers.items())


def test_labels_are_translated_on_pages_and_codes_never_change(recorded, french):
    user = member(center=recorded.patient.center, role=Role.CLINICIAN)
    french.force_login(user)
    page = french.get(reverse("patients:detail", args=[recorded.patient.pk])).content.decode()
    assert "Neuropathie motrice multifocale" in page
    api = french.get(f"/api/v1/patients/{recorded.patient.pk}/").json()
    assert api["diagnosis"] == "mmn"
    visits = french.get(f"/api/v1/visits/?patient={recorded.patient.pk}").json()
    assert {v["kind"] for v in visits["results"]} <= {"baseline", "pre_series", "post_series",
                                                       "follow_up", "final"}


@pytest.mark.django_db
def test_french_sign_off_and_query_pages_show_no_english_label(recorded, french):
    """The sign page and the two-factor set-up (a clinician), the unlock page and a signed
    record's locked page (a data manager), with a query open on the patient."""
    from queries.models import Query
    from treatments.models import Series
    from treatments.services import series_sign

    center = recorded.patient.center
    clinician = member(center=center, role=Role.CLINICIAN)
    manager = member(center=center, role=Role.DATA_MANAGER)
    patient, series_pk = recorded.patient.pk, recorded.ids["series"]
    Query.objects.create(patient=recorded.patient, record_model="treatments.series",
                         record_id=series_pk, rule="manual", message="Dose?",
                         raised_by=manager)
    french.force_login(clinician)
    leftovers = {}
    for url in (reverse("patients:visit_sign", args=[patient, recorded.ids["visit"]]),
                reverse("treatments:series_sign", args=[patient, series_pk]),
                reverse("queries:list"), reverse("two_factor:setup")):
        answer = french.get(url)
        assert answer.status_code == 200, url
        leftovers[url] = english_left(answer.content.decode())
    series_sign(series=Series.objects.get(pk=series_pk), password="correct-horse-battery",
                by=clinician)
    french.force_login(manager)
    for url in (reverse("treatments:series_unlock", args=[patient, series_pk]),
                reverse("treatments:series_edit", args=[patient, series_pk]),
                reverse("queries:list")):
        answer = french.get(url)
        assert answer.status_code == 200, url
        leftovers[url] = english_left(answer.content.decode())
    page = answer.content.decode()
    assert "Requêtes de qualité des données" in page and "Ouverte" in page
    assert not {url: found for url, found in leftovers.items() if found}


@pytest.mark.django_db
def test_dates_are_dd_mm_yyyy_on_french_pages_and_iso_on_english_ones(recorded, client):
    """The worklist's date (today) and a signed record's date (the unlock page); the stored
    outcome's ISO string (next series due) goes through ``iso_date``."""
    from django.utils import timezone

    from patients.templatetags.registry import iso_date
    from treatments.models import Series
    from treatments.services import series_sign

    today = timezone.localdate()
    center = recorded.patient.center
    clinician = member(center=center, role=Role.CLINICIAN)
    manager = member(center=center, role=Role.DATA_MANAGER)
    series = Series.objects.get(pk=recorded.ids["series"])
    series_sign(series=series, password="correct-horse-battery", by=clinician)
    client.force_login(manager)
    unlock = reverse("treatments:series_unlock", args=[recorded.patient.pk, series.pk])
    french = client.get(reverse("treatments:worklist"), HTTP_ACCEPT_LANGUAGE="fr").content
    english = client.get(reverse("treatments:worklist"), HTTP_ACCEPT_LANGUAGE="en").content
    assert today.strftime("%d/%m/%Y") in french.decode()
    assert today.isoformat() in english.decode() and today.isoformat() not in french.decode()
    french_unlock = client.get(unlock, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    english_unlock = client.get(unlock, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    started = series.started_on
    assert f"Cure {series.number} du {started.strftime('%d/%m/%Y')}" in french_unlock
    assert f"Series {series.number} of {started.isoformat()}" in english_unlock
    assert "signé par" in french_unlock and "signed by" in english_unlock
    assert iso_date("2024-01-15") == date(2024, 1, 15) and iso_date("") == ""
    assert iso_date(date(2024, 1, 15)) == date(2024, 1, 15) and iso_date("soon") == "soon"
