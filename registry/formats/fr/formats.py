"""French pages: Django's French formats, with the time written as French clinics do."""

from django.conf.locale.fr.formats import *  # type: ignore[import-untyped]  # noqa: F403

SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
