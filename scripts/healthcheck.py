#!/usr/bin/env python3
"""Container health checks of docker-compose.yml (standard library only, no Django).

    python scripts/healthcheck.py web    GET /health/ on this container's gunicorn: 0 when 200
    python scripts/healthcheck.py beat   Celery beat's schedule file written in the last 10 min

The web check sends the first of ALLOWED_HOSTS as Host and X-Forwarded-Proto: https, as
the reverse proxy in front of the registry would, so that production settings
(ALLOWED_HOSTS, SECURE_SSL_REDIRECT) answer it like a real request.
"""

from __future__ import annotations

import glob
import os
import sys
import time
import urllib.error
import urllib.request

URL = os.environ.get("HEALTHCHECK_URL", "http://127.0.0.1:8000/health/")
BEAT_SCHEDULE = os.environ.get("BEAT_SCHEDULE", "/tmp/celerybeat-schedule")
BEAT_STALE_SECONDS = 600


def web() -> int:
    host = (os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip().lstrip(".")
            or "localhost")
    if host == "*":
        host = "localhost"
    request = urllib.request.Request(URL, headers={
        "Host": host, "X-Forwarded-Proto": "https", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            print(response.read().decode("utf-8"))
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as error:
        print(f"{error.code}: {error.read().decode('utf-8', 'replace')}")
    except (urllib.error.URLError, TimeoutError) as error:
        print(f"{URL} is not reachable: {error}")
    return 1


def beat() -> int:
    # The shelve file may carry a suffix (.db, .dat) depending on the dbm module.
    files = glob.glob(f"{BEAT_SCHEDULE}*")
    if not files:
        print(f"No schedule file {BEAT_SCHEDULE}: beat has not started.")
        return 1
    age = time.time() - max(os.path.getmtime(path) for path in files)
    print(f"Beat schedule written {age:.0f} s ago.")
    return 0 if age < BEAT_STALE_SECONDS else 1


if __name__ == "__main__":
    checks = {"web": web, "beat": beat}
    if len(sys.argv) != 2 or sys.argv[1] not in checks:
        sys.exit(f"usage: {sys.argv[0]} web|beat")
    sys.exit(checks[sys.argv[1]]())
