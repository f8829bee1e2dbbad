#!/usr/bin/env bash
# Install and run the registry with the paper's demo data.
# Embedded default: SQLite and eager tasks unless DATABASE_URL / CELERY_BROKER_URL are set.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh requirements.txt
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-registry.settings.local}
host=${HOST:-127.0.0.1}
port=${PORT:-8000}
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py load_demo
echo
echo "IVIg registry: http://$host:$port/   (admin: http://$host:$port/admin/)"
echo "Demo login:    demo / ${DEMO_PASSWORD:-demo-registry}"
echo
exec .venv/bin/python manage.py runserver "$host:$port" --noreload
