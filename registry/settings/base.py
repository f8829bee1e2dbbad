"""Settings shared by every environment; each value that differs is read from the environment."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_totp",
    "two_factor",
    "registry",
    "patients",
    "treatments",
    "exchange",
    "queries",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "registry.middleware.CSPMiddleware",  # django-csp's, the policy built once
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The page language: the switch in the header (a cookie), else the browser's
    # Accept-Language, else English (docs/ui-decisions.md, "Languages").
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "registry.middleware.RefuseNulCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "registry.twofactor.TwoFactorRequiredMiddleware",  # after OTPMiddleware and the headers
    "registry.middleware.DatabaseUnavailableMiddleware",
    "registry.audit.AuditSourceMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out login before checking it
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "registry.urls"
WSGI_APPLICATION = "registry.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]



def registry_backend(database: dj_database_url.DBConfig) -> dj_database_url.DBConfig:
    """PostgreSQL through the registry's backend (``registry.db.postgresql``: Django's,
    whose connection health check costs no round trip while the server has said nothing)."""
    if database.get("ENGINE") == "django.db.backends.postgresql":
        database["ENGINE"] = "registry.db.postgresql"
    return database


# Embedded default: no DATABASE_URL → a SQLite file beside manage.py.
DATABASES = {
    "default": registry_backend(dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    ))
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login protection (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one
# username from one address, that pair is locked out for LOGIN_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# "One address" is the client's, not a proxy's: behind TRUSTED_PROXY_COUNT reverse proxies
# it is read from X-Forwarded-For (registry.proxy.client_ip); 0 here, 1 in production.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "registry.proxy.client_ip"
# The sign-in page is django-two-factor-auth's wizard, whose password step names its
# field ``auth-username``; the token endpoint and the backend's credentials say ``username``.
AXES_USERNAME_CALLABLE = "registry.twofactor.axes_username"

# Two-factor sign-in (django-otp, django-two-factor-auth): TOTP with backup codes. Users
# holding one of these roles somewhere ("superuser" for superusers) cannot use the
# registry until they have enrolled an authenticator and signed in with it; the admin
# always needs a verified sign-in. Everyone else may enrol from the account page.
TWO_FACTOR_REQUIRED_ROLES = env_list("TWO_FACTOR_REQUIRED_ROLES", "data_manager,superuser")
OTP_TOTP_ISSUER = "IVIg registry"
TWO_FACTOR_LOGIN_TIMEOUT = 600  # seconds between the password and the code

# Sessions end after a working day or when the browser closes; cookies are not readable
# from scripts and are not sent by other sites' forms. Production adds ``Secure``.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Security headers on every answer.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Everything a page loads is served by the app itself; no inline script anywhere. Inline
# styles are allowed: the server-rendered SVG chart (pygal) carries its own <style>.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Audit rows are read, never replayed: no "revert to this version" in the admin.
SIMPLE_HISTORY_REVERT_DISABLED = True

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"  # the home page: the worklist for clinicians (ui.md)
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-gb"
# Pages exist in English and French (ui.md); codes in the API, the exports and the
# database never change with the language. Catalogues: locale/<lang>/LC_MESSAGES/, compiled
# by scripts/bootstrap.sh (scripts/compile_translations.py).
LANGUAGES = [("en-gb", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates on pages: ``|date:"SHORT_DATE_FORMAT"`` — ISO in English, dd/mm/yyyy in French.
FORMAT_MODULE_PATH = ["registry.formats"]
LANGUAGE_COOKIE_NAME = "registry_language"
LANGUAGE_COOKIE_SECURE = False  # set True in production settings
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

REST_FRAMEWORK = {
    # Token first: a request without credentials is a 401 with WWW-Authenticate: Token
    # (api.md), not the 403 session authentication would give.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "registry.api.authentication.MembershipTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["registry.api.media.JSONParser"],  # api.md: JSON in
    "DEFAULT_RENDERER_CLASSES": [
        "registry.api.media.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "registry.api.ordering.StrictOrderingFilter",  # an unknown ?ordering= is a 400
    ],
    "EXCEPTION_HANDLER": "registry.api.exceptions.exception_handler",  # service errors
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "registry.api.pagination.RegistryPagination",
    "PAGE_SIZE": 50,
    "DATE_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "IVIg follow-up registry API",
    "DESCRIPTION": "REST API v1 of the IVIg follow-up registry (see api.md).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One component per choice set, named for what it is (fields of different names share
    # it): the rules' StrEnums (treatments.api.outcome) and the catalogues.
    "ENUM_NAME_OVERRIDES": {
        "OutcomeStatusEnum": "treatments.api.outcome.OUTCOME_STATUSES",
        "ResponseGradeEnum": "treatments.api.outcome.RESPONSE_GRADES",
        "BlockStateEnum": "treatments.api.outcome.BLOCK_STATES",
        "BlockEvolutionEnum": "treatments.api.outcome.BLOCK_EVOLUTIONS",
        "DisabilityResultEnum": "treatments.api.outcome.DISABILITY_RESULTS",
        "DisabilityMeasureEnum": "treatments.api.outcome.DISABILITY_MEASURES",
        "StatusEnum": "catalogues.SERIES_STATUSES",
        "VisitKindEnum": "catalogues.VISIT_KINDS",
        "PriorTreatmentKindEnum": "catalogues.PRIOR_TREATMENTS",
        "AntigenEnum": "catalogues.ANTIGENS",
        "DiagnosisEnum": "catalogues.DIAGNOSES",
        "MeasureEnum": "treatments.api.outcome.MEASURES",
        "TailoringKindEnum": "catalogues.TAILORING_KINDS",
        "TailoringResultEnum": "treatments.api.outcome.TAILORING_RESULTS",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "registry.api.schema.document_errors",
        "registry.api.schema.require_versions",
        "registry.api.schema.document_idempotency_key",
    ],
}

# Celery: with no broker configured, tasks run eagerly in-process (embedded default).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "registry")
# Imports run on a queue of their own (a worker of their own in docker-compose.yml): a
# long or memory-hungry import never holds up the outcome recomputes.
CELERY_IMPORT_QUEUE = os.environ.get("CELERY_IMPORT_QUEUE", "imports")
CELERY_TASK_ROUTES = {"exchange.tasks.*": {"queue": CELERY_IMPORT_QUEUE}}
# A publish must not hang a clinician's request while the broker is down: the data
# change has committed with its stale mark, and the sweep below recovers it. So one
# attempt, a quarter of a second at most, no retry: a write during an outage waits
# milliseconds (a refused connection) or 0.25 s (a broker that does not answer), not 2 s.
# A worker keeps reconnecting on its own (broker_connection_retry, its own retry count).
CELERY_BROKER_CONNECTION_TIMEOUT = 0.25
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0, "interval_start": 0,
                                   "socket_connect_timeout": 0.25}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE = {
    "recompute-stale-outcomes": {
        "task": "treatments.tasks.outcome_sweep_stale",
        "schedule": float(os.environ.get("STALE_SWEEP_SECONDS", "60")),
    },
    "outcomes-becoming-overdue": {
        "task": "treatments.tasks.outcome_sweep_overdue",
        "schedule": 6 * 3600.0,  # a few times a day: a day's change is seen the same day
    },
    "outcomes-moved-by-the-date": {  # tailoring windows close (clinical-rules.md §10)
        "task": "treatments.tasks.outcome_mark_stale_dated_task",
        "schedule": 3600.0,  # hourly: stales only outcomes computed before today
    },
    "compact-patient-counts": {  # the patient list sums them (patients.CentrePatientCount)
        "task": "patients.tasks.patient_counts_compact_task",
        "schedule": 3600.0,
    },
    "purge-idempotency-keys": {
        "task": "registry.tasks.idempotency_keys_purge_task",
        "schedule": 3600.0,
    },
}

# Exports read this many patients at a time (memory is bounded by one batch).
EXPORT_BATCH_SIZE = 500

# FHIR (exchange.fhir, docs/fhir.md): the base of the registry's own URLs — the system of
# its patient codes and hospital numbers, its CodeSystem and its extensions. Set it to a
# URL the registry's organisation controls; the default is a reserved example domain.
FHIR_SYSTEM_BASE = os.environ.get("FHIR_SYSTEM_BASE", "https://ivig-registry.example.org/fhir")

# Imports (exchange.files, exchange.parsing): what one import may be, so that no upload
# can exhaust a web process or a worker. An upload (the request, or the command's files on
# disk) larger than IMPORT_MAX_UPLOAD_BYTES is refused before it is read; a ZIP may hold
# IMPORT_MAX_ZIP_MEMBERS files of IMPORT_MAX_UNCOMPRESSED_BYTES in all (counted as they
# are read, whatever their headers claim); a line may be IMPORT_MAX_LINE_CHARS long; the
# first IMPORT_MAX_PROBLEMS problems are kept, with the count of all.
IMPORT_MAX_UPLOAD_BYTES = int(os.environ.get("IMPORT_MAX_UPLOAD_BYTES", str(50 * 1024 * 1024)))
IMPORT_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("IMPORT_MAX_UNCOMPRESSED_BYTES", str(200 * 1024 * 1024)))
IMPORT_MAX_ZIP_MEMBERS = 100
IMPORT_MAX_LINE_CHARS = 100_000
IMPORT_MAX_PROBLEMS = 1_000
# Uploads larger than this go to a temporary file, not memory (Django's default, stated);
# other form data stays small.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_HANDLERS = [
    "exchange.uploads.UploadSizeLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Workers log through LOGGING below, like the web processes (JSON lines in production).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# LOG_FORMAT=json: one JSON object per line (registry.jsonlog); otherwise plain text.
LOG_FORMAT = "json" if os.environ.get("LOG_FORMAT", "plain").lower() == "json" else "plain"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "registry.jsonlog.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
