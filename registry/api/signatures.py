"""``{id}/sign/`` and ``{id}/unlock/`` of a signed record's resource (api.md, 2026-12-01;
clinical-rules.md §11), mixed into its ``RegistryViewSet``; the view names its services.

A write to a signed record is answered 423 by the exception handler
(``registry.api.exceptions``), whatever the verb; ``LOCKED`` documents it.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from registry.signatures import SignOffRefused

LOCKED = OpenApiResponse(description=(
    'The record is signed: read-only until a data manager unlocks it (``{"detail": '
    '"This visit is signed by … on …: it is read-only …"}``); nothing was changed.'))
SIGN_REFUSED = OpenApiResponse(description=(
    "Wrong password, or not a clinician of the patient's centre (sign); not a data "
    "manager of the patient's centre (unlock)."))


class SignRequest(serializers.Serializer):
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, style={"input_type": "password"},
        help_text="Your own password, re-entered: you reviewed and confirm this record.")


class UnlockRequest(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000, help_text="Why the signed record must change (kept in the history).")


def sign_off_schema(serializer: type[serializers.Serializer], *, destroy: bool = True
                    ) -> dict[str, Any]:
    """``extend_schema_view`` arguments of a signed record's resource: the two actions, and
    the 423 of its writes."""
    locked = extend_schema(responses={200: serializer, 423: LOCKED})
    views = {
        "update": locked, "partial_update": locked,
        "sign": extend_schema(request=SignRequest,
                              responses={200: serializer, 403: SIGN_REFUSED, 423: LOCKED}),
        "unlock": extend_schema(request=UnlockRequest,
                                responses={200: serializer, 403: SIGN_REFUSED}),
    }
    if destroy:
        views["destroy"] = extend_schema(responses={204: None, 423: LOCKED})
    return views


class SignOffActions:
    """The two actions; the subclass calls its domain's services."""

    def sign_record(self, *, record, password: str, by, request):  # pragma: no cover
        raise NotImplementedError

    def unlock_record(self, *, record, reason: str, by):  # pragma: no cover - abstract
        raise NotImplementedError

    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def sign(self, request, pk=None):
        """Sign the record, re-entering your password ("reviewed and confirmed"): a
        clinician of the patient's centre. Answers the signed record."""
        record = self.get_object()
        body = SignRequest(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            record = self.sign_record(record=record, password=body.validated_data["password"],
                                      by=request.user, request=request)
        except SignOffRefused as refused:
            # Answered, not raised: the write's transaction (``registry.api.writes``) then
            # commits django-axes' record of a wrong password, which the lockout counts.
            return Response({"detail": str(refused)}, status=status.HTTP_403_FORBIDDEN)
        return self._answer(record)

    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def unlock(self, request, pk=None):
        """Void the record's signature, with the reason why: a data manager of the patient's
        centre. Answers the unlocked record."""
        record = self.get_object()
        body = UnlockRequest(data=request.data)
        body.is_valid(raise_exception=True)
        record = self.unlock_record(record=record, reason=body.validated_data["reason"],
                                    by=request.user)
        return self._answer(record)

    def _answer(self, record) -> Response:
        view = self
        return Response(view.get_serializer(view.stored(record)).data)  # type: ignore[attr-defined]
