"""Simulated providers for `make run`: what `serve` starts, the demo organization's *Simulated*
account across restarts, the control page that acts as the signers, and the production guard."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.test import override_settings
from django_q.conf import Conf

from envelopes.composing.participants import participant_add
from envelopes.models import EnvelopeStatus, EventSource
from envelopes.services import envelope_create, envelope_send
from portal import simulation as simulation_module
from portal.models import Role
from portal.services import organization_create
from portal.simulation import simulation_enabled, simulators_start
from portal.simulation.startup import simulation_start
from providers.connections import connection_test
from providers.models import ConnectionStatus, ProviderConnection
from tests.portal.test_settings import PRODUCTION, run

SITE_URL = "http://127.0.0.1:8000"


@pytest.fixture
def simulations(monkeypatch):
    """Starts simulations as `serve` does (control page on any free port) and stops them all."""
    monkeypatch.delenv("FORMIFY_CLIENT_ID", raising=False)
    # Set here so that the test's environment is restored afterwards (serve sets it for good).
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    started = []

    def start(site_url: str = SITE_URL):
        running = simulation_start(site_url=site_url, control_port=0)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def demo_org(make_user, settings):
    owner = make_user(email=settings.DEMO_EMAIL)
    return organization_create(name="Demo Company", owner=owner)


def test_serve_connects_the_demo_organization_to_each_simulator_once_across_restarts(
    simulations, demo_org, make_envelope, settings
):
    first = simulations()
    assert list(first.simulation.simulators) == ["formify"]
    (connection,) = ProviderConnection.objects.filter(org=demo_org)
    assert (connection.provider, connection.label, connection.status) == ("formify", "Simulated Formify", "connected")
    left = make_envelope(
        org=demo_org, status=EnvelopeStatus.SENT, provider="formify", connection=connection, remote_id="doc-1"
    )
    first.stop()

    second = simulations()  # the next `make run`: a new simulator that knows nothing
    fake = second.simulation.simulators["formify"].fake
    (again,) = ProviderConnection.objects.filter(org=demo_org)
    assert (again.pk, again.label, again.status) == (connection.pk, "Simulated Formify", ConnectionStatus.CONNECTED)
    # Its tokens and webhook are the new simulator's.
    with override_settings(**second.simulation.settings):
        assert connection_test(connection=again)
    ((webhook_id, webhook),) = fake.webhooks.items()
    assert again.webhook_id == webhook_id
    assert webhook["webhookUrl"] == f"{SITE_URL}/webhooks/formify/{again.pk}/"
    # What went to the previous simulator cannot be signed any more: voided, saying why.
    left.refresh_from_db()
    assert left.status == EnvelopeStatus.VOIDED
    assert "starts afresh with every start" in left.void_reason
    assert left.events.filter(kind="envelope.voided", source=EventSource.SYSTEM).exists()
    report = "\n".join(second.report())
    assert "Simulated Formify account is connected" in report
    assert "1 envelope(s) sent through the previous simulated Formify were voided" in report
    assert second.control.url in report


def test_the_web_server_and_worker_get_settings_pointing_at_the_simulator(simulations, demo_org):
    running = simulations()
    fake = running.simulation.simulators["formify"].fake
    assert running.environment == {
        "FORMIFY_API_URL": fake.api_url,
        "FORMIFY_AUTHORIZE_URL": fake.authorize_url,
        "FORMIFY_CLIENT_ID": fake.client_id,
        "FORMIFY_CLIENT_SECRET": fake.client_secret,
        "OAUTHLIB_INSECURE_TRANSPORT": "1",
    }
    assert fake.api_url.startswith("http://127.0.0.1:")


def test_without_a_demo_organization_the_simulators_still_run(simulations, db):
    running = simulations()
    assert running.accounts == [] and ProviderConnection.objects.count() == 0
    assert running.simulation.simulators


def test_a_real_account_in_the_environment_is_used_instead_of_a_simulator():
    simulation = simulators_start({"FORMIFY_CLIENT_ID": "our-real-client"})
    simulation.stop()
    assert simulation.simulators == {}
    assert simulation.skipped == {"formify": "FORMIFY_CLIENT_ID is set, so that account is used instead"}


@pytest.mark.parametrize(
    ("debug", "simulated", "enabled"),
    [(True, True, True), (True, False, False), (False, True, False), (False, False, False)],
)
def test_simulation_runs_only_in_development_and_can_be_turned_off(settings, debug, simulated, enabled):
    settings.DEBUG, settings.SIMULATED_PROVIDERS = debug, simulated
    assert simulation_enabled() is enabled


def test_settings_default_to_simulating_in_development_only():
    from tests.portal.test_settings import settings_in

    assert settings_in({"DEBUG": "1"}, "SIMULATED_PROVIDERS") == {"SIMULATED_PROVIDERS": True}
    assert settings_in({"DEBUG": "1", "SIMULATED_PROVIDERS": "0"}, "SIMULATED_PROVIDERS") == {
        "SIMULATED_PROVIDERS": False
    }
    assert settings_in(PRODUCTION, "SIMULATED_PROVIDERS") == {"SIMULATED_PROVIDERS": False}


def test_check_deploy_fails_when_simulation_is_on_with_debug_off():
    result = run(["manage.py", "check", "--deploy"], {**PRODUCTION, "SIMULATED_PROVIDERS": "1"})
    assert result.returncode != 0
    assert "paraph.E003" in result.stderr and "SIMULATED_PROVIDERS is on with DEBUG off" in result.stderr


# -- the control page ---------------------------------------------------------------------------


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def post(url: str, form: dict, headers: dict | None = None) -> str:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), headers=headers or {})
    with urllib.request.urlopen(request, timeout=20) as response:  # follows the 303 to the page
        return response.read().decode()


@pytest.mark.django_db(transaction=True)
def test_the_control_page_signs_as_each_signer_and_the_envelope_completes(
    simulations, demo_org, live_server, make_document, monkeypatch, settings, tmp_path
):
    monkeypatch.setattr(Conf, "SYNC", True)  # the worker's tasks run as soon as they are queued
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = live_server.url  # the simulator's webhooks reach this live server
    running = simulations(site_url=live_server.url)
    connection = ProviderConnection.objects.get(org=demo_org)
    owner = demo_org.memberships.get(role=Role.OWNER).user
    envelope = envelope_create(org=demo_org, actor=owner, title="Lease", provider="formify", connection=connection)
    make_document(envelope)
    for name, email in (("Anna Andersson", "anna@example.com"), ("Bo Berg", "bo@example.com")):
        participant_add(envelope=envelope, name=name, email=email)
    with override_settings(**running.simulation.settings):
        envelope_send(envelope=envelope, actor=owner)
        envelope.refresh_from_db()
        assert envelope.status == EnvelopeStatus.SENT, envelope.last_error

        page = get(running.control.url)
        assert "Lease" in page and "Demo Company" in page
        assert "Sign as Anna Andersson" in page and "Open as Bo Berg" in page
        anna, bo = envelope.participants.order_by("position")
        form = {"provider": "formify", "document": envelope.remote_id, "name": anna.name}
        page = post(running.control.url + "act", {**form, "signee": anna.remote_id, "action": "sign"})
        assert "Anna Andersson signed at simulated Formify." in page
        assert "Sign as Anna Andersson" not in page and "Sign as Bo Berg" in page  # before Paraph hears of it
        page = post(running.control.url + "act", {**form, "signee": anna.remote_id, "action": "sign"})
        assert "Anna Andersson could not do that:" in page  # the simulator's refusal, in its words
        page = post(running.control.url + "act", {**form, "name": bo.name, "signee": bo.remote_id, "action": "open"})
        assert "Bo Berg opened at simulated Formify." in page
        bo.refresh_from_db()
        assert bo.status == "opened"  # told by the simulator's webhook
        post(running.control.url + "act", {**form, "name": bo.name, "signee": bo.remote_id, "action": "sign"})

    envelope.refresh_from_db()
    assert envelope.status == EnvelopeStatus.COMPLETED
    assert "Sign as" not in get(running.control.url)


@pytest.mark.django_db(transaction=True)  # the page reads from its own thread
def test_the_control_page_refuses_buttons_from_other_sites_and_unknown_ones(simulations):
    running = simulations()
    with pytest.raises(urllib.error.HTTPError) as refused:
        post(running.control.url + "act", {"provider": "formify"}, headers={"Origin": "https://evil.example"})
    assert refused.value.code == 403
    page = post(running.control.url + "act", {"provider": "scrive", "action": "sign", "document": "d", "signee": "s"})
    assert "belongs to a simulator that is not running any more" in page


@pytest.mark.django_db(transaction=True)  # the page reads from its own thread
def test_the_control_page_lists_only_envelopes_sent_through_a_simulated_account(simulations, demo_org, make_envelope):
    running = simulations()
    connection = ProviderConnection.objects.get(org=demo_org)
    make_envelope(org=demo_org, status=EnvelopeStatus.SENT, provider="builtin", remote_id="x", title="Built-in one")
    assert "Nothing sent through simulated Formify yet" in get(running.control.url)
    make_envelope(org=demo_org, status="sent", provider="formify", connection=connection, remote_id="y", title="Lease")
    page = get(running.control.url)
    assert "Lease" in page and "Built-in one" not in page


def test_the_control_page_moves_to_a_free_port_when_its_own_is_taken(simulations, db):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        running = simulation_start(site_url=SITE_URL, control_port=port)
        running.stop()
    assert running.control.url.startswith("http://127.0.0.1:") and f":{port}/" not in running.control.url


def test_webhooks_the_portal_missed_are_sent_again_until_the_simulation_stops(monkeypatch):
    class Simulated:
        tries = 0

        def deliver_pending(self):
            self.tries += 1

        def stop(self):
            pass

    fake = Simulated()
    monkeypatch.setattr(simulation_module, "REDELIVER_EVERY", 0.01)
    simulation = simulation_module.Simulation(simulators={"formify": simulation_module.Simulator("formify", fake)})
    worker = threading.Thread(target=simulation.redeliver_webhooks)
    worker.start()
    deadline = time.monotonic() + 10
    while fake.tries < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    simulation.stop()
    worker.join(timeout=10)
    assert fake.tries >= 2 and not worker.is_alive()
