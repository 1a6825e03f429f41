"""/healthz: the database, Redis and a worker round trip, each with its own verdict. 200 only if all are up."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from redis import Redis

from evolve.health.tasks import ping_task

WORKER_TIMEOUT_SECONDS = 5.0


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis() -> None:
    Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2).ping()


def _worker() -> None:
    # retry=False: with the broker down, say so at once instead of waiting on reconnection.
    result = ping_task.apply_async(expires=WORKER_TIMEOUT_SECONDS, retry=False)
    try:
        if result.get(timeout=WORKER_TIMEOUT_SECONDS) != "pong":
            raise RuntimeError("unexpected answer")
    finally:
        result.forget()


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "redis": _redis, "worker": _worker}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    report: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as error:  # any failure is a verdict, not a 500
            report[name] = {"ok": False, "error": type(error).__name__}
        else:
            report[name] = {"ok": True, "milliseconds": round((time.monotonic() - started) * 1000, 1)}
    healthy = all(part["ok"] for part in report.values())
    return JsonResponse({"healthy": healthy, "checks": report}, status=200 if healthy else 503)
