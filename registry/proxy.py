"""The client's address behind the trusted reverse proxies (``TRUSTED_PROXY_COUNT``).

Each proxy appends the address it received the request from to ``X-Forwarded-For``, so
with N trusted proxies the client is the N-th address from the right: everything to its
left was written by the client itself and is not believed. Without proxies (0), or when
the request did not come through all of them, the connection's own address is the client.
django-axes locks sign-ins per username and this address (``AXES_CLIENT_IP_CALLABLE``).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        return remote  # not through every trusted proxy: nothing in the header is theirs
    try:
        return str(ipaddress.ip_address(forwarded[-count]))
    except ValueError:
        return remote  # a proxy that writes something else is misconfigured; do not guess
