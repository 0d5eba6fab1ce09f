"""The run itself, once Django is set up with the fleet's environment."""

from __future__ import annotations

import json
import math
import time
from datetime import timedelta
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from bench.scaleout.checks import run_checks, settled
from bench.scaleout.load import Load, Tally
from bench.scaleout.processes import Fleet
from envelopes.models import Envelope, EnvelopeStatus
from portal.kernel.tenancy import SESSION_KEY
from portal.models import Membership, Organization, Role, User
from portal.schedules import schedules_ensure
from providers.models import DeliveryStatus, ProviderConnection, WebhookDelivery

WORKERS = 3
KILLED = 1  # the second cluster
# Background schedules that repair what a killed worker dropped, run every minute in this run's
# database (an operator can shorten them the same way in the admin) so the run stays short.
REPAIRS = ("envelopes.tasks.retry_webhook_deliveries", "envelopes.tasks.resume_stalled_sends")


class Run:
    def __init__(self, *, args, env: dict, scratch, formify, ports: list[int]) -> None:
        self.args, self.env, self.scratch, self.formify, self.ports = args, env, scratch, formify, ports
        self.tally = Tally()

    def go(self) -> int:
        self._prepare()
        org, user, connection_row, cookie = self._organization()
        fleet = Fleet(env=self.env, logs=self.scratch / "logs", web_ports=self.ports, workers=WORKERS)
        load = None
        try:
            print(f"Starting {len(self.ports)} web servers and {WORKERS} worker clusters …", flush=True)
            fleet.start()
            load = Load(
                org=org,
                user=user,
                connection_row=connection_row,
                ports=self.ports,
                session_cookie=cookie,
                webhook_secret=connection_row.webhook_secret,
                formify=self.formify,
                tally=self.tally,
                sends_per_second=self.args.sends,
                webhooks_per_second=self.args.webhooks,
                readers=self.args.readers,
            )
            started = time.monotonic()
            load.start()
            self._timeline(fleet, started)
            load.stop()
            seconds = time.monotonic() - started
            drained = self._drain(org, load)
            load.finish()
            checks = run_checks(org, webhook_ids=self.tally.webhook_ids)
            self._report(org, seconds, drained, checks)
            return 0 if all(check.ok for check in checks) and drained is not None else 1
        except BaseException:
            print(f"The run stopped early; process logs in {self.scratch / 'logs'}:")
            for log in sorted((self.scratch / "logs").glob("*.log")):
                print(f"--- {log.name}\n{log.read_text()[-3000:]}")
            raise
        finally:
            if load is not None:
                load.stopping.set()
                load.finished.set()
            fleet.stop()

    # -- setup -------------------------------------------------------------------------------------

    def _prepare(self) -> None:
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        redis.Redis.from_url(settings.REDIS_URL).flushdb()  # this run's own database number
        schedules_ensure()
        soon = timezone.now() + timedelta(seconds=30)
        Schedule.objects.filter(func__in=REPAIRS).update(minutes=1, next_run=soon)
        # Schedules that would only add noise to a few minutes' run wait until it is over.
        Schedule.objects.exclude(func__in=REPAIRS).update(next_run=timezone.now() + timedelta(hours=1))

    def _organization(self):
        stamp = time.strftime("%Y%m%d%H%M%S")
        user = User.objects.create_user(email=f"scaleout-{stamp}@paraph.test", password=None)
        org = Organization.objects.create(name=f"Scale-out {stamp}", slug=f"scaleout-{stamp}")
        Membership.objects.create(org=org, user=user, role=Role.OWNER)
        client = Client()
        client.force_login(user)
        session = client.session
        session[SESSION_KEY] = org.pk
        session.save()
        response = client.post(reverse("connection_connect", args=["formify"]), {"label": "Formify scale-out"})
        callback = urlsplit(self.formify.consent(response["Location"]))
        client.get(f"{callback.path}?{callback.query}")
        connection_row = ProviderConnection.objects.get(org=org, provider="formify")
        return org, user, connection_row, client.cookies["sessionid"].value

    # -- the run -----------------------------------------------------------------------------------

    def _timeline(self, fleet: Fleet, started: float) -> None:
        length = self.args.seconds
        steps = [
            (0.30 * length, "SIGKILL to worker cluster 2", lambda: fleet.kill_worker(KILLED)),
            (0.30 * length + 5, "worker cluster 2 restarted", lambda: fleet.restart_worker(KILLED)),
            (0.45 * length, "Formify answers 503 to the next 30 calls", lambda: self.formify.outage(requests=30)),
            (
                0.60 * length,
                "Formify answers 429 (Retry-After: 3) to the next 30 calls",
                lambda: self.formify.rate_limited(requests=30, retry_after=3),
            ),
            (length, "load stops", lambda: None),
        ]
        for at, what, action in steps:
            time.sleep(max(0.0, started + at - time.monotonic()))
            action()
            print(f"  {time.monotonic() - started:5.1f} s  {what}  ({dict(self.tally.counts)})", flush=True)

    def _drain(self, org, load: Load) -> float | None:
        """Seconds until every send is settled and every delivery applied; None past --drain."""
        started = time.monotonic()
        while time.monotonic() - started < self.args.drain:
            envelopes, deliveries = settled(org)
            if not envelopes and not deliveries:
                return time.monotonic() - started
            print(f"  draining: {envelopes} envelopes queued or sending, {deliveries} deliveries pending", flush=True)
            time.sleep(10)
        return None

    # -- the report --------------------------------------------------------------------------------

    def _report(self, org, seconds: float, drained: float | None, checks) -> None:
        envelopes = Envelope.objects.filter(org=org).exclude(status=EnvelopeStatus.DRAFT)
        sent = envelopes.exclude(sent_at=None)
        first, last = sent.order_by("sent_at").values_list("sent_at", flat=True).first(), None
        last = sent.order_by("-sent_at").values_list("sent_at", flat=True).first()
        deliveries = WebhookDelivery.objects.filter(connection__org=org)
        counts = self.tally.counts
        print(
            f"Scale-out run: {len(self.ports)} web servers × 1 process × 4 threads, {WORKERS} clusters × 2 "
            f"workers, Redis broker, PostgreSQL; load {seconds:.0f} s, then "
            + (f"caught up in {drained:.0f} s" if drained is not None else "NOT caught up")
        )
        span = (last - first).total_seconds() if first and last and last > first else 0
        print(
            f"  sends: {counts['sent']} queued ({counts['sent builtin']} Paraph signing, {counts['sent formify']} "
            f"Formify), {sent.count()} sent"
            + (f", {sent.count() / span:.1f}/s from the first to the last" if span else "")
            + f"; {envelopes.filter(status=EnvelopeStatus.COMPLETED).count()} completed "
            f"({counts['signed at Formify']} signed at Formify)"
        )
        print(
            f"  webhooks: {counts['webhooks posted']} accepted from the load "
            f"({counts['webhooks posted'] / seconds:.0f}/s),"
            f" {deliveries.count()} deliveries stored in all (with Formify's own), "
            f"{deliveries.filter(status=DeliveryStatus.PROCESSED).count()} processed"
        )
        print("  page times under load (ms):")
        figures = {}
        for page, values in sorted(self.tally.timings.items()):
            ordered = sorted(values)
            p50, p95 = _rank(ordered, 0.5) * 1000, _rank(ordered, 0.95) * 1000
            figures[page] = {"n": len(ordered), "p50_ms": round(p50, 1), "p95_ms": round(p95, 1)}
            print(f"    {page:<16} n {len(ordered):>5}  p50 {p50:7.1f}  p95 {p95:7.1f}")
        if self.tally.errors:
            print(f"  HTTP errors: {dict(self.tally.errors)}")
        for check in checks:
            print(f"  {'OK  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
        (self.scratch / "logs" / "figures.json").write_text(json.dumps(figures))


def _rank(ordered: list[float], quantile: float) -> float:
    return ordered[max(0, math.ceil(quantile * len(ordered)) - 1)] if ordered else 0.0
