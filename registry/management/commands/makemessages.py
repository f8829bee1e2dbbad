"""Django's ``makemessages``, without fuzzy matching: a new English string never gets a
guessed French translation (msgmerge's "fuzzy" guess of a similar entry, which can be
wrong and would then be shown), it stays untranslated until someone translates it — and
``registry/tests/test_translations.py`` fails until then."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
