"""The simulators' control page: the envelopes sent through simulated accounts, with a button for
each thing their signers can do at the provider (*Open as …*, *Sign as …*). It stands in for the
signers' inboxes; Paraph hears of what they do by the provider's webhook, as it would from the real
provider. Served on 127.0.0.1 by the same process as the simulators, for as long as they run."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

from django.contrib.staticfiles import finders
from django.db import connections
from django.template.loader import render_to_string
from django.urls import reverse

from envelopes.models import Envelope, EnvelopeStatus, ParticipantRole, ParticipantStatus
from portal.kernel.tenancy import org_scoped
from portal.models import Organization
from portal.simulation import Simulation
from providers.registry import provider_class

log = logging.getLogger(__name__)

SHOWN = 20  # envelopes listed per simulated provider, newest first
OUTSTANDING = {ParticipantStatus.WAITING, ParticipantStatus.INVITED, ParticipantStatus.OPENED}
ACTIONS = {"open": "opened", "sign": "signed"}


@dataclass(frozen=True)
class Notice:
    text: str
    ok: bool


class ControlPage(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, simulation: Simulation, *, port: int, site_url: str):
        super().__init__(("127.0.0.1", port), _Handler)
        self.simulation = simulation
        self.site_url = site_url
        self.notice: Notice | None = None  # shown once, on the page the action redirects to
        # What each signer did here, (document id, signee id) → "opened"/"signed": shown at once,
        # while Paraph's own status follows a moment later, by webhook.
        self.acted: dict[tuple[str, str], str] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def start(self) -> ControlPage:
        threading.Thread(target=self.serve_forever, name="simulation-control", daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    # -- what the page shows and does ---------------------------------------------------------

    def sections(self) -> list[dict]:
        return [
            {"id": provider_id, "name": provider_class(provider_id).name, "envelopes": self._envelopes(provider_id)}
            for provider_id in self.simulation.simulators
        ]

    def _envelopes(self, provider_id: str) -> list[Envelope]:
        """Every organization's envelopes sent through an account at this simulator."""
        envelopes: list[Envelope] = []
        for org in Organization.objects.filter(provider_connections__provider=provider_id).distinct():
            envelopes += (
                org_scoped(Envelope, org)
                .filter(connection__provider=provider_id)
                .exclude(remote_id="")
                .select_related("org", "connection")
                .prefetch_related("participants")
                .order_by("-pk")[:SHOWN]
            )
        envelopes = sorted(envelopes, key=lambda envelope: envelope.pk, reverse=True)[:SHOWN]
        for envelope in envelopes:
            envelope.paraph_url = self.site_url + reverse("envelope_detail", args=[envelope.pk])
            for participant in envelope.participants.all():
                participant.at_provider = self.acted.get((envelope.remote_id, participant.remote_id), "")
                participant.can_act = bool(
                    envelope.status == EnvelopeStatus.SENT
                    and participant.remote_id
                    and participant.status in OUTSTANDING
                    and participant.at_provider != "signed"
                )
                participant.can_sign = participant.can_act and participant.role != ParticipantRole.VIEWER
        return envelopes

    def act(self, form: dict[str, str]) -> Notice:
        """Does what the signer would do at the provider: the provider's refusal in its words."""
        simulator = self.simulation.simulators.get(form.get("provider", ""))
        action = form.get("action", "")
        if simulator is None or action not in ACTIONS or not form.get("document") or not form.get("signee"):
            return Notice("That button belongs to a simulator that is not running any more; reload the page.", False)
        name = form.get("name") or "The signer"
        try:
            getattr(simulator.fake, action)(form["document"], form["signee"])
        except ValueError as refused:
            return Notice(f"{name} could not do that: {refused}", False)
        key = (form["document"], form["signee"])
        if self.acted.get(key) != "signed":
            self.acted[key] = ACTIONS[action]
        return Notice(f"{name} {ACTIONS[action]} at simulated {provider_class(simulator.provider_id).name}.", True)

    def page(self) -> bytes:
        notice, self.notice = self.notice, None
        context = {"sections": self.sections(), "notice": notice, "site_url": self.site_url}
        return render_to_string("simulation/control.html", context).encode()


class _Handler(BaseHTTPRequestHandler):
    server: ControlPage
    server_version = "ParaphSimulators/1.0"

    def do_GET(self) -> None:
        if self.path == "/portal.css":
            stylesheet = finders.find("css/portal.css")
            self._reply(200, Path(stylesheet).read_bytes() if stylesheet else b"", "text/css; charset=utf-8")
        elif self.path.partition("?")[0] == "/":
            self._with_database(lambda: self._reply(200, self.server.page(), "text/html; charset=utf-8"))
        else:
            self._reply(404, b"Not found.", "text/plain; charset=utf-8")

    def do_POST(self) -> None:
        origin = self.headers.get("Origin")
        if self.path != "/act" or (origin and origin + "/" != self.server.url):
            # Another site's page must not sign for anyone.
            self._reply(403, b"Only this page's own buttons can act.", "text/plain; charset=utf-8")
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = dict(parse_qsl(self.rfile.read(length).decode("utf-8", "replace")))
        self.server.notice = self.server.act(form)
        self.send_response(303)
        self.send_header("Location", "/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _with_database(self, answer) -> None:
        try:
            answer()
        finally:
            connections.close_all()  # this request's thread is done with its connection

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", "default-src 'self'; form-action 'self'; frame-ancestors 'none'")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        log.debug("control page: " + format, *args)
