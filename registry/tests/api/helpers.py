"""Helpers of the API tests."""

from __future__ import annotations

from django.contrib.auth.models import User
from rest_framework.test import APIClient


def api(user: User | None = None) -> APIClient:
    """A client authenticated as a fresh copy of ``user`` (no per-instance caches carried
    over from earlier requests, so query counts are those of a real request)."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(User.objects.get(pk=user.pk))
    return client


# Queries every authenticated request makes before its own work: the user's memberships
# (roles and centre ids, read once by registry.api.viewsets.RegistryViewMixin).
AUTH_QUERIES = 1
