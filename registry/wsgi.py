"""The production entry point (gunicorn ``registry.wsgi:application``).

Production settings unless DJANGO_SETTINGS_MODULE says otherwise, as cookiecutter-django
does: a server started without it refuses to run half-configured instead of serving with
DEBUG on and a known key. ``manage.py`` keeps the local default for development.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings.production")

application = get_wsgi_application()

# Everything loaded so far (Django, the apps, the URLconf) lives as long as the process:
# moved out of the collector's reach once, here, before any request thread runs, so the
# collections a large report's allocations trigger walk only what requests allocate
# (docs/rules-decisions.md, "Benchmark shortcuts"). Never gc.disable() in a request.
gc.freeze()
