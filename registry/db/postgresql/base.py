"""Django's PostgreSQL backend (psycopg 3) whose health check asks the socket first.

With ``CONN_HEALTH_CHECKS`` (the production default, docs/performance-decisions.md)
Django checks a persistent connection before its first use in every request by sending
``SELECT 1`` and waiting for the answer: a round trip per request, a fifth of the
queries of an outcome answer (issue 19, bench/README.md). A connection that PostgreSQL
has ended — a restart, ``pg_terminate_backend``, ``idle_session_timeout`` — has told
the client so before closing (an error message, then end of file), so an idle
connection with nothing to read has not been ended by the server. That is checked here
without a round trip: nothing to read → usable; something to read, an error during the
request before, a transaction left open, or a socket that cannot be polled → Django's
own ``SELECT 1`` decides, as before. A connection psycopg already knows is closed or
broken is unusable at once.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if (self.errors_occurred or self.pool
                or connection.info.transaction_status != TransactionStatus.IDLE
                or _has_input(connection)):
            return super().is_usable()
        return True


def _has_input(connection) -> bool:
    """Whether the server has sent anything to an idle connection (or it cannot tell)."""
    try:
        poller = select.poll()
        poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll() here, or no socket
        return True
