"""The registry's CSP middleware: django-csp's header, built once instead of per answer."""

import csp.middleware
import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from registry.middleware import CSPMiddleware

factory = RequestFactory()


def answer(middleware_class, response=None, *, path="/", use_nonce=False):
    request = factory.get(path)
    middleware = middleware_class(lambda request: response or HttpResponse("ok"))
    middleware.process_request(request)
    if use_nonce:
        str(request.csp_nonce)
    return request, middleware.process_response(request, middleware.get_response(request))


def directives(header: str) -> set[str]:
    return set(header.split("; "))


def test_the_header_is_django_csps():
    _, ours = answer(CSPMiddleware)
    _, theirs = answer(csp.middleware.CSPMiddleware)
    assert directives(ours[HEADER]) == directives(theirs[HEADER])
    assert "frame-ancestors 'none'" in ours[HEADER]
    assert HEADER_REPORT_ONLY not in ours


def test_the_policy_is_built_once(monkeypatch):
    middleware = CSPMiddleware(lambda request: HttpResponse())
    middleware._policies()
    calls = []
    monkeypatch.setattr(csp.utils, "build_policy", lambda **kw: calls.append(kw) or "x")
    for _ in range(3):
        request = factory.get("/")
        middleware.process_request(request)
        middleware.process_response(request, HttpResponse())
    assert calls == []


def test_a_change_of_the_settings_is_seen():
    policy = {"DIRECTIVES": {"default-src": ["'none'"]}}
    _, before = answer(CSPMiddleware)
    with override_settings(CONTENT_SECURITY_POLICY=policy,
                           CONTENT_SECURITY_POLICY_REPORT_ONLY=policy):
        _, during = answer(CSPMiddleware)
    assert during[HEADER] == "default-src 'none'"
    assert during[HEADER_REPORT_ONLY] == "default-src 'none'"
    assert before[HEADER] != during[HEADER]


def test_a_views_own_policy_and_a_nonce_are_django_csps():
    response = HttpResponse()
    response._csp_update = {"img-src": ["https://example.org"]}
    _, updated = answer(CSPMiddleware, response)
    assert "https://example.org" in updated[HEADER]
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"script-src": [NONCE]}}):
        request, with_nonce = answer(CSPMiddleware, use_nonce=True)
        _, without = answer(CSPMiddleware)
    assert f"script-src 'nonce-{request._csp_nonce}'" in directives(with_nonce[HEADER])
    assert "nonce-" not in without[HEADER]


def test_exempt_answers_and_a_late_nonce():
    response = HttpResponse()
    response._csp_exempt = True
    request, exempt = answer(CSPMiddleware, response)
    assert HEADER not in exempt
    with pytest.raises(csp.exceptions.CSPNonceError):
        str(request.csp_nonce)  # asked for after the header was written
    with override_settings(CONTENT_SECURITY_POLICY={"EXCLUDE_URL_PREFIXES": ["/skip"],
                                                    "DIRECTIVES": {"default-src": ["'self'"]}}):
        _, excluded = answer(CSPMiddleware, path="/skip/this")
    assert HEADER not in excluded
