"""``GET /health/``: can the registry serve? Checks the database and the Celery broker.

Public on purpose (api.md: only the schema and the health check answer without
authentication), for load balancers and container health checks. JSON; no detail that
would help an attacker (no host names).

Only the database decides whether this web process can serve: 503 when it is down. A
broker outage is reported (``"status": "degraded"``) with 200, because writes still work
(the recompute is left stale and the sweep recovers it): a load balancer must not pull
every web instance when Redis is down. The worker's own health check (a Celery ping
through the broker) is the one that watches the broker.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

from registry.celery import app as celery_app


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection.

    With no broker configured (the embedded default: tasks run in-process) there is no
    broker to be down, so the check passes.
    """

    timeout = datetime.timedelta(seconds=4)

    def run(self) -> None:
        url = settings.CELERY_BROKER_URL
        if not url:
            return
        try:
            with celery_app.connection_for_write(url) as connection:
                connection.ensure_connection(max_retries=1, interval_start=0, timeout=3)
        except Exception as error:
            raise ServiceUnavailable("The task broker does not answer.") from error


CHECKS = {Database: "database", Broker: "broker"}
#: Without these the registry cannot serve (503); any other failing check is "degraded".
ESSENTIAL = {Database}


class HealthView(HealthCheckView):
    checks = tuple(CHECKS)

    async def get(self, request, *args, **kwargs):
        with self.get_executor() as executor:
            results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        failing = {type(result.check) for result in results if result.error}
        status = ("unavailable" if failing & ESSENTIAL else "degraded" if failing else "ok")
        return JsonResponse({
            "status": status,
            "checks": {
                CHECKS[type(result.check)]: "ok" if result.error is None
                else result.error.message
                for result in results
            },
        }, status=503 if status == "unavailable" else 200)


health = login_not_required(HealthView.as_view())
