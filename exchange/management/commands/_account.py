"""Who a management command acts as."""

import getpass

from django.contrib.auth.models import User
from django.core.management.base import CommandError

from exchange.services import operator


def command_account(username: str | None) -> tuple[User, str | None]:
    """The ``--user`` account, or the operator (recorded under the shell's login name)."""
    if username is None:
        return operator(), f"{getpass.getuser()} (command line)"
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"No active user {username!r}.")
    return user, None
