"""Production: every secret comes from the environment and nothing falls back silently."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CELERY_BROKER_URL, DATABASES, TWO_FACTOR_REQUIRED_ROLES, env_bool, env_list


def required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"Production settings need the environment variable {name}.")
    return value


# .env.example's placeholder: copying the example without filling it in must not start.
SECRET_KEY_PLACEHOLDER = "change-me"
SECRET_KEY_MIN_LENGTH = 50  # Django's own check (security.W009), made fatal
GENERATE_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(50))"'


def secret_key() -> str:
    key = required("SECRET_KEY")
    if key.startswith("django-insecure-"):
        problem = "is a development key (django-insecure-…)"
    elif SECRET_KEY_PLACEHOLDER in key.lower():
        problem = "is still the placeholder of .env.example"
    elif len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < 5:
        problem = (f"is too weak: it needs at least {SECRET_KEY_MIN_LENGTH} characters and "
                   f"5 different ones (it has {len(key)}, {len(set(key))} different)")
    else:
        return key
    raise ImproperlyConfigured(f"SECRET_KEY {problem}; set a long random string ({GENERATE_KEY}).")


DEBUG = False
SECRET_KEY = secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or [required("ALLOWED_HOSTS")]
required("DATABASE_URL")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Database connections. Default: persistent connections, checked before reuse (by the
# registry's backend, registry.db.postgresql: without a round trip while the server has
# sent nothing; docs/performance-decisions.md) — opening one per request was most of a
# list request's time (issue 19: 0.25 → 0.65 of bare DRF from this alone).
# DATABASE_POOL=1 uses psycopg 3's pool instead (one per process, shared by its threads;
# DATABASE_POOL_SIZE connections at most). bench/run's "connections" step measures the
# choices side by side (bench/README.md).
DATABASE_POOL = env_bool("DATABASE_POOL", default=False)
if DATABASE_POOL:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django requires it with a pool
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False  # the pool checks what it hands out
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1, "max_size": int(os.environ.get("DATABASE_POOL_SIZE", "4")),
        "timeout": 10}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("CONN_HEALTH_CHECKS", default=True)

# Without a broker every recompute would run inside the web request: ask for it explicitly.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
if not CELERY_BROKER_URL and not CELERY_TASK_ALWAYS_EAGER:
    raise ImproperlyConfigured(
        "Production settings need the environment variable CELERY_BROKER_URL "
        "(or CELERY_TASK_ALWAYS_EAGER=1 to run tasks inside the web process).")

# Data managers and superusers sign in with a second factor: the setting may add roles
# (clinician, researcher), never drop these two.
_two_factor_missing = sorted({"data_manager", "superuser"} - set(TWO_FACTOR_REQUIRED_ROLES))
if _two_factor_missing:
    raise ImproperlyConfigured(
        "TWO_FACTOR_REQUIRED_ROLES must keep data_manager and superuser in production "
        f"(missing: {', '.join(_two_factor_missing)}).")

# The README's TLS proxy: the client's address is the last one the trusted proxies added
# to X-Forwarded-For (registry.proxy.client_ip); the sign-in lockout is per that address.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "1"))

SESSION_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # load balancers probe over plain HTTP
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
