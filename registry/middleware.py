"""A database that cannot be reached is answered with a clear 503, never a traceback."""

from __future__ import annotations

import logging
import sys

import csp.constants
import csp.middleware
import csp.utils
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

logger = logging.getLogger(__name__)

UNAVAILABLE = (OperationalError, InterfaceError)
MESSAGE = ("The registry's database cannot be reached just now. Nothing was saved by "
           "this request; please try again in a minute.")
#: The connection was lost during the COMMIT of an API write sent without an
#: Idempotency-Key (``registry.api.writes.OutcomeUnknown``): saying "nothing was saved"
#: could be false.
MAYBE_SAVED = ("The connection to the registry's database was lost while this change was "
               "being saved: it may have been saved. Check before you send it again, or "
               "send it with an Idempotency-Key header, which makes a retry safe.")
RETRY_AFTER_SECONDS = "30"


def database_unavailable(request, *, message: str = MESSAGE) -> HttpResponse:
    """503 as JSON for the API, as a page otherwise. The page is rendered without the
    request (no context processor may touch the database again)."""
    if request.path_info.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = RETRY_AFTER_SECONDS
    return response


class DatabaseUnavailableMiddleware:
    """Turns ``OperationalError`` / ``InterfaceError`` raised by a view into a 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, UNAVAILABLE):
            logger.error("Database unavailable during %s %s: %s", request.method,
                         request.path, exception)
            maybe_saved = getattr(exception, "outcome_unknown", False)
            return database_unavailable(request, message=MAYBE_SAVED if maybe_saved else MESSAGE)
        return None


def server_error(request) -> HttpResponse:
    """``handler500``: a database failure outside a view (in a middleware) is a 503 too."""
    error = sys.exc_info()[1]
    if isinstance(error, UNAVAILABLE):
        return database_unavailable(request)
    return defaults.server_error(request)


class RefuseNulCharactersMiddleware:
    """A NUL character in a query string is a 400, on every page and endpoint.

    PostgreSQL text cannot hold NUL, so a filter value carrying one (``?q=%00``) would
    reach the database as an error, a 500; forms already refuse NUL in what they post.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        faulty = [key for key, values in request.GET.lists()
                  if "\x00" in key or any("\x00" in value for value in values)]
        if faulty:
            message = "A query parameter cannot contain a NUL character."
            if request.path_info.startswith("/api/"):  # api.md: {"field": ["message"]}
                names = [key.replace("\x00", "\\x00") for key in faulty]
                return JsonResponse({name: [message] for name in names}, status=400)
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


#: What a view may set on its response to change its policy (django-csp's decorators).
CSP_PER_RESPONSE = ("_csp_config", "_csp_update", "_csp_replace",
                    "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware with the policy built once, not for every answer.

    The header depends on the settings alone unless the view changed the policy on its
    response (``csp_update`` and the like) or the page used a nonce: then django-csp
    builds it as always. Otherwise the two headers (the policy, the report-only one) are
    built once per value of the settings and reused: building them was a third of the
    middleware's work on an API answer (issue 19, bench/README.md)."""

    _built: tuple[object, object, str, str] | None = None

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in CSP_PER_RESPONSE
        ):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:  # django-csp's exemption
            return response
        policy, report_only = self._policies()
        for header, value, exempt, setting in (
            (csp.constants.HEADER, policy, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (csp.constants.HEADER_REPORT_ONLY, report_only, "_csp_exempt_ro",
             "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            if value and header not in response and not getattr(response, exempt, False):
                excluded = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES")
                if not (excluded and request.path_info.startswith(tuple(excluded))):
                    response[header] = value
        # As django-csp: asking for a nonce once the header is written is an error.
        request.csp_nonce = csp.middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response

    def _policies(self) -> tuple[str, str]:
        config = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        built = self._built
        if built is None or built[0] is not config or built[1] is not report_only:
            built = (config, report_only, csp.utils.build_policy(),
                     csp.utils.build_policy(report_only=True))
            self._built = built
        return built[2], built[3]
