"""GET /health/ for load balancers: is the database reachable, is the task queue reachable."""

from __future__ import annotations

import time

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_q.brokers import get_broker
from django_q.status import Stat


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        result = {"ok": True, **check()}
    except Exception as exc:  # noqa: BLE001 — any failure is the answer we report
        result = {"ok": False, "error": exc.__class__.__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _queue() -> dict:
    broker = get_broker()
    if not broker.ping():
        raise ConnectionError("broker did not answer")
    # Workers report to the shared cache; none running is worth showing but is not a web outage.
    return {
        "broker": "redis" if "redis" in broker.__class__.__module__ else "orm",
        "queued": broker.queue_size(),
        "workers": len(Stat.get_all(broker=broker)),
    }


@never_cache
@require_GET
def health(request):
    checks = {"database": _timed(_database), "queue": _timed(_queue)}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)
