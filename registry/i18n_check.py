"""What a page shows without a translation: the check behind
``registry/tests/test_translations.py`` (and ``manage.py check_translations``).

A template's visible text — text between tags and the ``title``, ``alt``,
``placeholder`` and ``aria-label`` attributes — must come from a ``{% translate %}`` or
``{% blocktranslate %}`` tag or from a variable; a literal left in English is reported
with its template and line.
"""

from __future__ import annotations

import re
from pathlib import Path

COMMENT = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", re.DOTALL)
BLOCKTRANS = re.compile(r"{%\s*blocktrans(?:late)?\b.*?{%\s*endblocktrans(?:late)?\s*%}",
                        re.DOTALL)
CODE = re.compile(r"<(script|style|pre|code|kbd|samp)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
TAG = re.compile(r"{%.*?%}|{{.*?}}", re.DOTALL)
ATTRIBUTE = re.compile(r"\b(title|alt|placeholder|aria-label)\s*=\s*\"([^\"]*)\"",
                       re.IGNORECASE)
ELEMENT = re.compile(r"<[^>]*>", re.DOTALL)
ENTITY = re.compile(r"&#?\w+;")
WORD = re.compile(r"[^\W\d_]{2,}")
# Not words of a language: units, scale names and the like, the same in French.
UNTRANSLATED_OK = frozenset({"MRC", "kPa", "INCAT", "I-RODS", "ONLS", "IgM", "IgG", "IgA",
                             "CSV", "XLSX", "ODM", "FHIR", "JSON", "PDF", "mV", "ms",
                             "mm", "kg", "cm", "N*", "GM1", "API", "MMN"})


def blanked(text: str, pattern: re.Pattern[str]) -> str:
    """``text`` with every match of ``pattern`` replaced by spaces and its newlines (so
    line numbers stay right)."""
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def untranslated(source: str) -> list[tuple[int, str]]:
    """(line, text) of every literal a page would show untranslated."""
    text = blanked(source, COMMENT)
    text = blanked(text, BLOCKTRANS)
    text = blanked(text, CODE)
    found: list[tuple[int, str]] = []
    for match in ATTRIBUTE.finditer(text):
        value = TAG.sub(" ", match.group(2))
        if _words(value):
            found.append((text.count("\n", 0, match.start()) + 1, match.group(0)))
    text = blanked(text, TAG)
    text = blanked(text, ELEMENT)
    text = ENTITY.sub(" ", text)
    for number, line in enumerate(text.splitlines(), start=1):
        if _words(line):
            found.append((number, " ".join(line.split())))
    return found


def _words(text: str) -> list[str]:
    return [w for w in WORD.findall(text) if w not in UNTRANSLATED_OK]


def untranslated_in(directory: Path) -> list[str]:
    problems = []
    for path in sorted(directory.rglob("*.html")):
        for number, text in untranslated(path.read_text(encoding="utf-8")):
            problems.append(f"{path.relative_to(directory)}:{number}: {text}")
    return problems
