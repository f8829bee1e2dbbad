FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=registry.settings.production LOG_FORMAT=json
WORKDIR /app

# pg_dump / pg_restore for `manage.py backup` and `restore` (same major version as the db).
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN python scripts/compile_translations.py  # the page catalogues (locale/)
# collectstatic needs settings to import, not real secrets (a throw-away key, no broker).
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    ALLOWED_HOSTS=localhost DATABASE_URL=sqlite:////tmp/build.sqlite3 CELERY_TASK_ALWAYS_EAGER=1 \
    python manage.py collectstatic --noinput

# /backups: the named volume of docker-compose.yml takes this owner when first mounted.
RUN useradd --system --uid 10001 registry && mkdir -p /backups \
    && chown -R registry /app /backups
USER registry
EXPOSE 8000
CMD ["gunicorn", "registry.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", "--timeout", "60", "--access-logfile", "-"]
