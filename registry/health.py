"""``GET /health/``: can the registry serve? Checks the database and the Celery broker.

Public on purpose (api.md: only the schema and the health check answer without
authentication), for load balancers and container health checks. JSON, 200 when every
check passes, 503 otherwise; no detail that would help an attacker (no host names).
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
                connection.ensure_connection(max_retries=1, timeout=3)
        except Exception as error:
            raise ServiceUnavailable("The task broker does not answer.") from error


CHECKS = {Database: "database", Broker: "broker"}


class HealthView(HealthCheckView):
    checks = tuple(CHECKS)

    async def get(self, request, *args, **kwargs):
        with self.get_executor() as executor:
            results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        healthy = not any(result.error for result in results)
        return JsonResponse({
            "status": "ok" if healthy else "unavailable",
            "checks": {
                CHECKS[type(result.check)]: "ok" if result.error is None
                else result.error.message
                for result in results
            },
        }, status=200 if healthy else 503)


health = login_not_required(HealthView.as_view())
