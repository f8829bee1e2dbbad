"""The Celery app (``celery -A registry worker``): production settings by default, as
``registry.wsgi``; tests and scripts name their settings in DJANGO_SETTINGS_MODULE."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings.production")

app = Celery("registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
