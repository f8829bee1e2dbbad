"""Token authentication that hands the user over with its memberships read."""

from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from registry.models import Membership
from registry.scoping import remember_memberships


class MembershipTokenAuthentication(TokenAuthentication):
    """DRF's token authentication that reads the user's memberships with the token.

    Every API request needs the user's roles and centres (scoping, write rights). On
    PostgreSQL the token, its user and the user's memberships are one plain SQL query
    (``token_query``: a row per membership), and the memberships are handed to
    ``registry.scoping`` with ``remember_memberships`` — an attribute of our own, not
    Django's private prefetch cache (issue 13). Compiling the ORM's two queries (the token
    with its user, the memberships prefetched) was a third of an outcome request's Python
    work (issue 19, bench/README.md). Other databases (SQLite, ``make run``) take the
    ORM's way: their raw rows would need the fields' converters (dates, booleans).
    First in ``DEFAULT_AUTHENTICATION_CLASSES``: a request without credentials gets 401
    with ``WWW-Authenticate: Token`` (api.md), not the 403 session auth would give.
    """

    def authenticate_credentials(self, key):
        model = self.get_model()
        database = router.db_for_read(model)
        if connections[database].vendor == "postgresql":
            token = self._read(model, database, key)
        else:
            token = self._read_with_orm(model, key)
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token

    @staticmethod
    def _read(model, database: str, key: str):
        sql, token_width, user_width = token_query(model)
        with connections[database].cursor() as cursor:
            cursor.execute(sql, [key])
            rows = cursor.fetchall()
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        first = rows[0]
        token = model.from_db(database, token_fields(model), first[:token_width])
        user_model = get_user_model()
        user = user_model.from_db(database, token_fields(user_model),
                                  first[token_width:token_width + user_width])
        token.user = user
        # A user without memberships: one row, its membership columns NULL.
        remember_memberships(user, [(row[-2], row[-1]) for row in rows if row[-2] is not None])
        return token

    @staticmethod
    def _read_with_orm(model, key: str):
        try:
            return (model.objects.select_related("user")
                    .prefetch_related("user__memberships").get(key=key))
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None


@cache
def token_fields(model) -> list[str]:
    """The attribute names of ``model``'s columns, in the order ``token_query`` reads them."""
    return [field.attname for field in model._meta.concrete_fields]


@cache
def token_query(model) -> tuple[str, int, int]:
    """The token with its user and the user's memberships (center, role; in the order of
    ``Membership.Meta.ordering``): one row per membership, or one row whose membership
    columns are NULL. Returns the SQL and how many columns are the token's, the user's."""
    user_model = get_user_model()
    quote = connections[router.db_for_read(model)].ops.quote_name

    def columns(alias: str, fields) -> list[str]:
        return [f"{alias}.{quote(field.column)}" for field in fields]

    def column(model_class, name: str | None = None) -> str:
        field = model_class._meta.pk if name is None else model_class._meta.get_field(name)
        return quote(field.column)

    token_columns = columns("t", model._meta.concrete_fields)
    user_columns = columns("u", user_model._meta.concrete_fields)
    user_pk = column(user_model)
    sql = (
        f"SELECT {', '.join(token_columns + user_columns)}, "
        f"m.{column(Membership, 'center')}, m.{column(Membership, 'role')} "
        f"FROM {quote(model._meta.db_table)} t "
        f"JOIN {quote(user_model._meta.db_table)} u ON u.{user_pk} = t.{column(model, 'user')} "
        f"LEFT JOIN {quote(Membership._meta.db_table)} m "
        f"ON m.{column(Membership, 'user')} = u.{user_pk} "
        f"WHERE t.{column(model, 'key')} = %s "
        f"ORDER BY m.{column(Membership, 'center')}"
    )
    return sql, len(token_columns), len(user_columns)
