"""Test suite: real PostgreSQL and Redis (see README); tasks eager unless a test starts a worker."""

import os

import dj_database_url

from .base import *  # noqa: F403
from .base import env_bool, registry_backend

SECRET_KEY = "test-only-not-a-secret"
DATABASES = {
    "default": registry_backend(dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ivig_registry")
    ))
}
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
# Eager by default; the worker integration tests start a real worker with this set to 0.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=True)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Serve static files from the apps' folders without a collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
