"""``POST auth/token/``: DRF's token view, answering 429 while the account is locked out and
asking for ``otp_token`` when the user signs in with a second factor (registry.twofactor)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.authtoken import serializers as authtoken
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from registry.api import media
from registry.twofactor import OTP_FIELD, token_otp_problem


class AuthTokenSerializer(authtoken.AuthTokenSerializer):  # the schema's ``AuthTokenRequest``
    otp_token = serializers.CharField(
        required=False, write_only=True, trim_whitespace=True,
        help_text="The authenticator's current code (or a backup code): required when the "
                  "user has enrolled a second factor.")


@extend_schema_view(post=extend_schema(responses={
    200: inline_serializer("Token", {"token": serializers.CharField()}),
    400: OpenApiResponse(description="Wrong username or password, or a missing or wrong "
                                     "otp_token: {field: [messages]}"),
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
    serializer_class = AuthTokenSerializer

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
            user = serializer.validated_data["user"]
            problem = token_otp_problem(request, user,
                                        serializer.validated_data.get(OTP_FIELD))
            if problem:
                raise ValidationError({OTP_FIELD: [problem]})
        except ValidationError:
            # django-axes marks the request it was given (DRF's) when the sign-in is refused
            # because of earlier failures: say so instead of "wrong credentials".
            if getattr(request, "axes_locked_out", False):
                return locked_out()
            raise
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


def locked_out() -> Response:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return Response(
        {"detail": "Too many failed sign-ins: this account is locked for "
                   f"{minutes} minutes from this address."},
        status=status.HTTP_429_TOO_MANY_REQUESTS,
    )
