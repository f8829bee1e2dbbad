"""Token authentication that hands the user over with its memberships read."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


class MembershipTokenAuthentication(TokenAuthentication):
    """DRF's token authentication that reads the user's memberships with the token.

    Every API request needs the user's roles and centres (scoping, write rights): the
    token and its user are one query, the memberships a second, prefetched the public way
    (``prefetch_related``) so that ``registry.scoping`` finds them on
    ``user.memberships.all()`` (``load_memberships`` then reads nothing more).
    First in ``DEFAULT_AUTHENTICATION_CLASSES``: a request without credentials gets 401
    with ``WWW-Authenticate: Token`` (api.md), not the 403 session auth would give.
    """

    def authenticate_credentials(self, key):
        model = self.get_model()
        try:
            token = (model.objects.select_related("user")
                     .prefetch_related("user__memberships").get(key=key))
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
