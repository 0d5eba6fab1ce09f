"""The load: senders, a steady stream of signed webhooks, dashboard readers and Formify signees,
each a thread of the driver, each recording what it did and how long the web took."""

from __future__ import annotations

import hashlib
import hmac
import io
import itertools
import json
import random
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import requests
from django.core.files.base import ContentFile
from django.db import connection
from django.urls import reverse
from pypdf import PdfWriter

from envelopes.composing.documents import document_add
from envelopes.composing.participants import participant_add
from envelopes.models import Envelope, EnvelopeStatus
from envelopes.services import envelope_create, envelope_send


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDF = _pdf()


@dataclass
class Tally:
    """What the threads did: counts, page timings by page, HTTP errors."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    webhook_ids: set[str] = field(default_factory=set)

    def count(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.counts[what] += n

    def timed(self, page: str, seconds: float, status: int) -> None:
        with self.lock:
            self.timings[page].append(seconds)
            if status >= 400:
                self.errors[f"{page} {status}"] += 1


class Load:
    """Runs the threads until stop() (signees go on until drained())."""

    def __init__(
        self,
        *,
        org,
        user,
        connection_row,
        ports: list[int],
        session_cookie: str,
        webhook_secret: str,
        formify,
        tally: Tally,
        sends_per_second: float,
        webhooks_per_second: float,
        readers: int,
    ) -> None:
        self.org, self.user, self.connection = org, user, connection_row
        self.ports, self.cookie, self.secret = ports, session_cookie, webhook_secret
        self.formify, self.tally = formify, tally
        self.sends_per_second, self.webhooks_per_second, self.readers = sends_per_second, webhooks_per_second, readers
        self.stopping = threading.Event()
        self.finished = threading.Event()  # the run is over: signees stop too
        self.threads: list[threading.Thread] = []
        self._signed: set[int] = set()
        self._documents: list[str] = []
        self._documents_read = 0.0

    def start(self) -> None:
        targets = [self._senders, self._webhooks, self._signees] + [self._reader] * self.readers
        for n, target in enumerate(targets):
            thread = threading.Thread(target=self._closing(target), name=f"load-{n}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        """Stops sends, webhooks and readers; signees go on until finish()."""
        self.stopping.set()
        for thread in self.threads[:2] + self.threads[3:]:
            thread.join(30)

    def finish(self) -> None:
        self.finished.set()
        self.threads[2].join(30)

    @staticmethod
    def _closing(target):
        def run():
            try:
                target()
            finally:
                connection.close()

        return run

    def _paced(self, per_second: float):
        """Yields at a steady rate until stopping (late ticks are not made up in a burst)."""
        interval, due = 1 / per_second, time.monotonic()
        while not self.stopping.is_set():
            yield
            due = max(due + interval, time.monotonic() - interval)
            self.stopping.wait(max(0.0, due - time.monotonic()))

    # -- sends -------------------------------------------------------------------------------------

    def _senders(self) -> None:
        """Envelopes created and sent as a user's clicks would (the services behind the pages),
        alternately with Paraph signing and through the Formify account."""
        for n, _ in enumerate(self._paced(self.sends_per_second)):
            formify = n % 2 == 1
            envelope = envelope_create(
                org=self.org,
                actor=self.user,
                title=f"Scale-out {uuid.uuid4().hex[:8]}",
                provider="formify" if formify else "builtin",
                connection=self.connection if formify else None,
            )
            document_add(envelope=envelope, upload=ContentFile(PDF, name="contract.pdf"), actor=self.user)
            for person in range(2):
                participant_add(
                    envelope=envelope,
                    name=f"Signer {person + 1}",
                    email=f"signer{person + 1}.{envelope.pk}@example.com",
                )
            envelope_send(envelope=envelope, actor=self.user)
            self.tally.count("sent")
            self.tally.count("sent formify" if formify else "sent builtin")

    # -- webhooks ----------------------------------------------------------------------------------

    def _webhooks(self) -> None:
        """Signed Formify events for documents already out, at a steady rate, round-robin over the web
        servers; one in five is sent a second time later (Formify retries)."""
        session, ports, resend = requests.Session(), itertools.cycle(self.ports), []
        for _ in self._paced(self.webhooks_per_second):
            if resend and random.random() < 0.2:
                body, event_id = resend.pop(random.randrange(len(resend)))
            else:
                remote_id = self._some_document()
                if remote_id is None:
                    continue
                event_id = f"evt-scaleout-{uuid.uuid4().hex}"
                body = self._event(event_id, "document.opened", remote_id)
                if random.random() < 0.2:
                    resend.append((body, event_id))
            self._post_webhook(session, next(ports), body, event_id)

    def _some_document(self) -> str | None:
        """A Formify document already out (the list is re-read every two seconds)."""
        if time.monotonic() >= self._documents_read + 2:
            out = Envelope.objects.filter(org=self.org, provider="formify").exclude(remote_id="")
            self._documents = list(out.values_list("remote_id", flat=True))
            self._documents_read = time.monotonic()
        return random.choice(self._documents) if self._documents else None

    def _event(self, event_id: str, kind: str, remote_id: str) -> bytes:
        event = {
            "eventId": event_id,
            "type": kind,
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "data": {"documentId": remote_id},
        }
        return json.dumps({"event": event}).encode()

    def _post_webhook(self, session: requests.Session, port: int, body: bytes, event_id: str) -> None:
        stamp = str(int(time.time()))
        signature = hmac.new(self.secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Formify-Timestamp": stamp, "X-Formify-Signature": signature}
        url = f"http://127.0.0.1:{port}/webhooks/formify/{self.connection.pk}/"
        started = time.perf_counter()
        try:
            response = session.post(url, data=body, headers=headers, timeout=10)
        except requests.RequestException:
            self.tally.count("webhook unreachable")
            return
        self.tally.timed("webhook", time.perf_counter() - started, response.status_code)
        if response.status_code == 200:
            self.tally.count("webhooks posted")
            with self.tally.lock:
                self.tally.webhook_ids.add(event_id)

    # -- readers -----------------------------------------------------------------------------------

    def _reader(self) -> None:
        """Someone keeping the dashboard open and looking through the envelope list."""
        session = requests.Session()
        session.headers["Cookie"] = f"sessionid={self.cookie}"
        pages = [
            ("dashboard", reverse("dashboard")),
            ("envelope list", reverse("envelope_list")),
            ("dashboard", reverse("dashboard")),
            ("signer tracking", reverse("signer_tracking")),
        ]
        ports = itertools.cycle(random.sample(self.ports, len(self.ports)))
        for page, path in itertools.cycle(pages):
            if self.stopping.is_set():
                return
            started = time.perf_counter()
            try:
                response = session.get(f"http://127.0.0.1:{next(ports)}{path}", timeout=30, allow_redirects=False)
            except requests.RequestException:
                self.tally.count(f"{page} unreachable")
                continue
            self.tally.timed(page, time.perf_counter() - started, response.status_code)
            self.stopping.wait(0.2)

    # -- Formify signees ---------------------------------------------------------------------------

    def _signees(self) -> None:
        """Formify signees sign documents once they are out (webhooks then tell Paraph)."""
        while not self.finished.is_set():
            self.sign_out()
            self.finished.wait(0.5)

    def sign_out(self) -> None:
        out = Envelope.objects.filter(org=self.org, provider="formify", status=EnvelopeStatus.SENT)
        for pk, remote_id in out.exclude(pk__in=self._signed).values_list("pk", "remote_id")[:20]:
            emails = [f"signer{n}.{pk}@example.com" for n in (1, 2)]
            try:
                self.formify.sign_all(remote_id, emails)
            except ValueError:
                continue  # not signable (yet): tried again on the next round
            self._signed.add(pk)
            self.tally.count("signed at Formify")
