"""Against TransactionLink itself, only when an organization's credentials are in the environment:
TRANSACTIONLINK_LIVE_API_URL (default the public API), TRANSACTIONLINK_LIVE_API_TOKEN, and for the
screening run TRANSACTIONLINK_LIVE_DEFINITION_ID (a workflow definition of that organization; the
run is paid work, so it is asked for explicitly). TransactionLink has no public sandbox."""

from __future__ import annotations

import _socket
import os
import socket

import pytest

from providers.models import ProviderConnection
from providers.registry import adapter_for
from providers.transactionlink.mapping import RunState

TOKEN = os.environ.get("TRANSACTIONLINK_LIVE_API_TOKEN", "")
DEFINITION = os.environ.get("TRANSACTIONLINK_LIVE_DEFINITION_ID", "")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not TOKEN, reason="TRANSACTIONLINK_LIVE_API_TOKEN is not set (no TransactionLink account)"),
]


@pytest.fixture
def live(settings, make_org, _allow_outside_network):
    settings.TRANSACTIONLINK_API_URL = os.environ.get(
        "TRANSACTIONLINK_LIVE_API_URL", "https://api.transactionlink.io"
    ).rstrip("/")
    connection = ProviderConnection(org=make_org(), provider="transactionlink", label="Live", status="connected")
    connection.credentials = {"api_token": TOKEN}
    connection.save()
    return adapter_for("transactionlink", connection)


@pytest.fixture
def _allow_outside_network(monkeypatch):
    """This module alone may leave the machine: the socket's own connect, not the tests' guard."""
    monkeypatch.setattr(socket.socket, "connect", _socket.socket.connect)


def test_the_probe_is_accepted(live):
    live.account()


@pytest.mark.skipif(not DEFINITION, reason="TRANSACTIONLINK_LIVE_DEFINITION_ID is not set (a run is paid work)")
def test_a_case_runs_and_reports_a_status(live):
    case_id = live.create_case({"firstName": "Test", "lastName": "Paraph"})
    run = live.run(case_id, DEFINITION)
    assert run.case_id == case_id
    assert live.status(run.id).state in (RunState.RUNNING, RunState.COMPLETED, RunState.FAILED)
