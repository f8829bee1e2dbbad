#!/usr/bin/env bash
# Install and run the whole test suite on PostgreSQL and Redis (a real Celery worker and a
# real headless Chromium included). Defaults: PostgreSQL at 127.0.0.1:5432 as postgres,
# Redis at 127.0.0.1:6379; override with DATABASE_URL / CELERY_BROKER_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh requirements-dev.txt
# The browser tests' accessibility audit (axe-core, pinned in package-lock.json): installed
# from the npm registry when node_modules lacks it; served to the page by the test itself.
if [ ! -f node_modules/axe-core/axe.min.js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  if command -v npm >/dev/null 2>&1; then
    npm ci --no-audit --no-fund --loglevel=error
  elif [ -n "${CI:-}" ]; then
    echo "npm is missing: the accessibility audit cannot be installed" >&2; exit 1
  else
    echo "npm is missing: the accessibility audit (axe-core) will be skipped" >&2
  fi
fi
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ivig_registry}
export CELERY_BROKER_URL=${CELERY_BROKER_URL:-redis://127.0.0.1:6379/15}
export DJANGO_SETTINGS_MODULE=registry.settings.test
.venv/bin/python - <<'PY'
import os, sys
import psycopg, redis
try:
    psycopg.connect(os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres", connect_timeout=5).close()
except Exception as error:
    sys.exit(f"PostgreSQL is not reachable ({error}); start it, see README.")
try:
    redis.Redis.from_url(os.environ["CELERY_BROKER_URL"], socket_connect_timeout=5).ping()
except Exception as error:
    sys.exit(f"Redis is not reachable ({error}); start it, see README.")
PY
.venv/bin/ruff check .
.venv/bin/lint-imports  # the layers (pyproject.toml [tool.importlinter])
.venv/bin/mypy  # the packages and plugins: [tool.mypy] in pyproject.toml
.venv/bin/python manage.py check
.venv/bin/python manage.py makemigrations --check --dry-run
exec .venv/bin/python -m pytest --create-db "$@"
