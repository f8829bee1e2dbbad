"""The production entry point (gunicorn ``registry.wsgi:application``).

Production settings unless DJANGO_SETTINGS_MODULE says otherwise, as cookiecutter-django
does: a server started without it refuses to run half-configured instead of serving with
DEBUG on and a known key. ``manage.py`` keeps the local default for development.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings.production")

application = get_wsgi_application()
