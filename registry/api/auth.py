"""``POST auth/token/``: DRF's token view, answering 429 while the account is locked out."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from registry.api import media


@extend_schema_view(post=extend_schema(responses={
    200: inline_serializer("Token", {"token": serializers.CharField()}),
    400: OpenApiResponse(description="Wrong username or password: {field: [messages]}"),
    429: OpenApiResponse(description="Too many failed sign-ins: locked for a while"),
}))
class ObtainToken(ObtainAuthToken):
    # No session authentication here: a signed-in browser's cookie must not turn the token
    # request into a CSRF-checked one (the credentials in the body are the authentication).
    authentication_classes = []
    # DRF's token view names its own parsers (form and multipart too) and renderer; api.md
    # says JSON in, and a schema with three body types breaks generated clients.
    parser_classes = [media.JSONParser]
    renderer_classes = [media.JSONRenderer]

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            # django-axes marks the request it was given (DRF's) when the sign-in is refused
            # because of earlier failures: say so instead of "wrong credentials".
            if getattr(request, "axes_locked_out", False):
                minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
                return Response(
                    {"detail": "Too many failed sign-ins: this account is locked for "
                               f"{minutes} minutes from this address."},
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                )
            raise
