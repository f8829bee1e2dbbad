"""A second session on the test database, beside Django's own connection: what another
process (a worker, a concurrent request, an administrator) holds while a test runs."""

from __future__ import annotations

import psycopg
from django.db import connection


def other_session(*, autocommit: bool = True) -> psycopg.Connection:
    """A new psycopg connection to the database Django's connection uses (the test
    database), with the same server and user; the caller closes it (``with``)."""
    db = connection.settings_dict
    return psycopg.connect(dbname=db["NAME"], host=db["HOST"] or None,
                           port=db["PORT"] or None, user=db["USER"] or None,
                           password=db["PASSWORD"] or None, autocommit=autocommit)
