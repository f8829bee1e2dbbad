"""Where a change came from, recorded on every audit row (``history_source``).

The source is a context variable: the middleware sets it for each request from the URL
(``/api/`` → ``api``, ``/admin/`` → ``admin``, any other page → ``page``); outside a
request (management commands, shells, workers) it stays ``command``. Other entry points
(an import: ``exchange.imports``) wrap their writes in ``audit_source(IMPORT)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

PAGE = "page"
API = "api"
ADMIN = "admin"
COMMAND = "command"
IMPORT = "import"

_source: ContextVar[str] = ContextVar("audit_source", default=COMMAND)


def current_source() -> str:
    """The source of the changes being made now (the historical rows' field default)."""
    return _source.get()


@contextmanager
def audit_source(source: str) -> Iterator[None]:
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)


def source_of_path(path: str) -> str:
    if path.startswith("/api/"):
        return API
    if path.startswith("/admin/"):
        return ADMIN
    return PAGE


class AuditSourceMiddleware:
    """Tag every audit row written while handling a request with the surface it came from."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_source(source_of_path(request.path_info)):
            return self.get_response(request)
