"""The intake bench, once Django is set up with the bench's settings."""

from __future__ import annotations

import cProfile
import hashlib
import hmac
import io
import json
import pstats
import random
import re
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import connection
from django_q.models import OrmQ

from bench.intake.urls import CEILING_TABLE
from bench.scaleout.processes import Process, _wait_for
from portal.models import Organization
from providers.models import ProviderConnection, WebhookDelivery

KINDS = ["document.opened", "document.signed", "document.completed"]


def measure(*, args, scratch: Path, port: int, secret: str, script: Path) -> int:
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    _ceiling_table()
    org, hook = _connection(secret)
    server = Process("gunicorn", _gunicorn_argv(port), scratch / "gunicorn.log")
    queued_before = OrmQ.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        server.start({**__import__("os").environ})
        _wait_for(f"http://127.0.0.1:{port}/health/")
        broker = "Redis" if settings.Q_CLUSTER.get("redis") else "the database"
        print(
            f"Webhook intake through gunicorn (1 process, {args.threads} threads, gthread, keep-alive) and wrk "
            f"({args.connections} connections), {connection.vendor}, apply tasks queued on {broker}, "
            f"connection health checks {'on' if settings.DATABASES['default']['CONN_HEALTH_CHECKS'] else 'off'}:"
        )
        rates: dict[str, list[float]] = {"ceiling": [], "intake": []}
        answered, lines_by_id = 0, {}
        for round_ in range(args.rounds):
            ceiling = _requests("/bench/ceiling/", args.deliveries, secret, f"c{round_}", hook.pk)
            rate, done, bad = _wrk(ceiling, args, scratch, port, script)
            rates["ceiling"].append(rate)
            print(f"  round {round_ + 1}: minimal view inserting one row  {rate:8,.0f} requests/s  (non-2xx {bad})")
            fresh = _requests(f"/webhooks/formify/{hook.pk}/", args.deliveries, secret, f"i{round_}", hook.pk)
            lines_by_id.update((line.rsplit("\t", 1)[1], line) for line in fresh)
            rate, done, bad = _wrk(fresh, args, scratch, port, script)
            rates["intake"].append(rate)
            answered += done - bad
            print(f"  round {round_ + 1}: webhook intake (new deliveries)   {rate:8,.0f} deliveries/s (non-2xx {bad})")
        time.sleep(1)  # requests in flight when wrk stopped are still answered
        stored = set(WebhookDelivery.objects.filter(connection=hook).values_list("event_id", flat=True))
        # The storm: everything stored so far, again, shuffled (late, twice, out of order).
        storm = [lines_by_id[event_id] for event_id in stored]
        random.shuffle(storm)
        rate, done, bad = _wrk(storm, args, scratch, port, script)
        print(f"  storm: the {len(storm):,} stored, again, shuffled     {rate:8,.0f} deliveries/s (non-2xx {bad})")
        time.sleep(1)
        after = list(WebhookDelivery.objects.filter(connection=hook).values_list("event_id", flat=True))
        # wrk does not count the requests still in flight when it stops; the server stored them anyway.
        lost, twice = max(0, answered - len(stored)), len(after) - len(stored)
        best = {name: max(values) for name, values in rates.items()}
        print(
            f"  best: intake {best['intake']:,.0f}/s, ceiling {best['ceiling']:,.0f}/s, ratio "
            f"{best['intake'] / best['ceiling']:.2f}; budget ≥ 500/s per process"
        )
        ok = not (lost or twice or bad)
        print(
            f"  check {'OK' if ok else 'FAILED'}: {answered:,} deliveries answered 2xx, {len(stored):,} stored, "
            f"lost {lost}; after the storm {len(after):,} (stored twice: {twice})"
        )
        return 0 if ok else 1
    finally:
        server.stop()
        WebhookDelivery.objects.filter(connection__org=org).delete()
        ProviderConnection.objects.filter(org=org).delete()
        org.delete()
        OrmQ.objects.filter(pk__gt=queued_before).delete()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {CEILING_TABLE}")


def _gunicorn_argv(port: int) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "portal.wsgi", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]


def _ceiling_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {CEILING_TABLE}")
        key = "bigserial PRIMARY KEY" if connection.vendor == "postgresql" else "integer PRIMARY KEY AUTOINCREMENT"
        cursor.execute(f"CREATE TABLE {CEILING_TABLE} (id {key}, body text NOT NULL)")


def _connection(secret: str):
    org = Organization.objects.create(name="Intake bench", slug=f"intake-bench-{int(time.time())}")
    hook = ProviderConnection(org=org, provider="formify", label="bench")
    hook.webhook_secret = secret
    hook.save()
    return org, hook


def _requests(path: str, n: int, secret: str, tag: str, connection_id: int) -> list[str]:
    """Lines for wrk.lua: path, timestamp, signature, body (and the event id, which wrk ignores)."""
    stamp = str(int(time.time()))
    lines = []
    for i in range(n):
        event_id = f"evt-{connection_id}-{tag}-{i}"
        body = json.dumps(
            {
                "event": {
                    "eventId": event_id,
                    "type": KINDS[i % 3],
                    "date": "2026-11-22T10:00:00Z",
                    "data": {"documentId": f"doc-{tag}-{i // 3}", "accountId": "acc"},
                }
            }
        )
        signature = hmac.new(secret.encode(), f"{stamp}.{body}".encode(), hashlib.sha256).hexdigest()
        lines.append(f"{path}\t{stamp}\t{signature}\t{body}\t{event_id}")
    return lines


def _wrk(lines: list[str], args, scratch: Path, port: int, script: Path) -> tuple[float, int, int]:
    """Requests per second, requests made and how many were not 2xx, over --seconds; each thread
    sends its share of `lines` in order (and starts over if it runs out)."""
    requests_file = scratch / "requests.tsv"
    requests_file.write_text("".join(line.rsplit("\t", 1)[0] + "\n" for line in lines))
    threads = 2
    env = {"REQUESTS": str(requests_file), "THREADS": str(threads), "PATH": "/usr/bin:/bin"}
    argv = ["wrk", f"-t{threads}", f"-c{args.connections}", f"-d{args.seconds}s", "-s", str(script)]
    out = subprocess.run([*argv, f"http://127.0.0.1:{port}"], env=env, capture_output=True, text=True, check=True)
    text = out.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    made = int(re.search(r"(\d+) requests in", text).group(1))
    bad = int(re.search(r"non-2xx (\d+)", text).group(1))
    return rate, made, bad


def profile(*, secret: str) -> int:
    """One process, no server: 2,000 deliveries through Django's WSGI handler (all middleware, the
    view, the database) under cProfile; prints where the time went."""
    call_command("migrate", verbosity=0)
    org, hook = _connection(secret)
    queued_before = OrmQ.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    handler = WSGIHandler()
    lines = _requests(f"/webhooks/formify/{hook.pk}/", 2000, secret, "p", hook.pk)
    try:
        for line in lines[:100]:
            _call(handler, line)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for line in lines[100:]:
            _call(handler, line)
        profiler.disable()
        seconds = time.perf_counter() - started
        print(f"{len(lines) - 100} deliveries in-process: {(len(lines) - 100) / seconds:,.0f}/s under the profiler")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        print(out.getvalue())
        return 0
    finally:
        WebhookDelivery.objects.filter(connection__org=org).delete()
        ProviderConnection.objects.filter(org=org).delete()
        org.delete()
        OrmQ.objects.filter(pk__gt=queued_before).delete()


def _call(handler: WSGIHandler, line: str) -> None:
    path, stamp, signature, body, _ = line.split("\t")
    data = body.encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(data),
        "CONTENT_LENGTH": str(len(data)),
        "CONTENT_TYPE": "application/json",
        "HTTP_X_FORMIFY_TIMESTAMP": stamp,
        "HTTP_X_FORMIFY_SIGNATURE": signature,
        "wsgi.errors": sys.stderr,
    }
    statuses = []
    b"".join(handler(environ, lambda status, headers, *exc: statuses.append(status)))
    if not statuses[0].startswith("200"):
        raise RuntimeError(f"{path}: {statuses[0]}")
