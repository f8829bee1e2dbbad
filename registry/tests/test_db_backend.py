"""The registry's PostgreSQL backend: a persistent connection's health check sends
nothing while the server has said nothing, and still replaces a connection the server
ended (registry.db.postgresql, issue 19)."""

from __future__ import annotations

import time

import pytest
from django.db import connection, connections

from registry.tests.sessions import other_session

pytestmark = pytest.mark.django_db(transaction=True)  # autocommit: the request's state


def _last_statement(pid: int) -> str:
    with other_session() as other:
        return other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s",
                             [pid]).fetchone()[0]


def _new_request() -> None:
    """What Django does between requests with persistent connections and
    ``CONN_HEALTH_CHECKS`` (the production settings; the test settings have neither)."""
    connection.health_check_enabled = True
    connection.close_at = None
    connection.close_if_unusable_or_obsolete()


def test_postgresql_goes_through_the_registry_backend():
    assert type(connections["default"]).__module__ == "registry.db.postgresql.base"


def test_a_healthy_idle_connection_is_reused_without_a_round_trip():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'registry-health-marker'")
    raw, pid = connection.connection, connection.connection.info.backend_pid
    _new_request()
    connection.close_if_health_check_failed()  # as the next request's first query does
    assert connection.connection is raw and connection.health_check_done
    # Django's own check would have sent SELECT 1 on this backend.
    assert _last_statement(pid) == "SELECT 'registry-health-marker'"


def test_a_connection_the_server_ended_is_replaced_before_the_next_query():
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    with other_session() as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the termination notice reaches the socket
        with other_session() as other:
            gone = other.execute("SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity"
                                 " WHERE pid = %s)", [pid]).fetchone()[0]
        if gone:
            break
        time.sleep(0.05)
    _new_request()
    with connection.cursor() as cursor:  # no error: the check closed it, a new one answers
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_after_an_error_django_s_own_check_decides():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'before-the-error'")
    pid = connection.connection.info.backend_pid
    connection.errors_occurred = True
    assert connection.is_usable()
    assert _last_statement(pid) == "SELECT 1"
