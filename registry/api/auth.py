"""``POST auth/token/``: DRF's token view, answering 429 while the account is locked out."""

from __future__ import annotations

from django.conf import settings
from rest_framework import status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from registry.api import media


class ObtainToken(ObtainAuthToken):
    # No session authentication here: a signed-in browser's cookie must not turn the token
    # request into a CSRF-checked one (the credentials in the body are the authentication).
    authentication_classes = []
    # DRF's token view names its own parsers and renderer; these are the safe ones.
    parser_classes = [media.JSONParser, FormParser, MultiPartParser]
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
