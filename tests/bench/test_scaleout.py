"""Pieces of the scale-out run (bench/scaleout), fast: the run itself takes minutes and is in
`make bench`. Timings are measured there, never asserted here."""

from __future__ import annotations

import os
import signal
import sys
import time

from bench.scaleout.checks import run_checks, settled
from bench.scaleout.load import Load
from bench.scaleout.processes import Process
from envelopes.models import EnvelopeStatus
from providers.builtin.models import SigningRequest
from providers.models import DeliveryStatus, WebhookDelivery

# A parent that starts a child and waits: what a gunicorn master or a qcluster looks like.
FAMILY = (
    "import subprocess, sys, time; "
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
    "print(child.pid, flush=True); time.sleep(60)"
)


def _running(pid: int) -> bool:
    """Alive and not a zombie (a killed orphan stays one until something reaps it)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_sigkill_to_a_process_takes_its_whole_group(tmp_path):
    process = Process("family", [sys.executable, "-c", FAMILY], tmp_path / "family.log")
    process.start(dict(os.environ))
    deadline = time.monotonic() + 10
    while not (tmp_path / "family.log").read_text().strip() and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int((tmp_path / "family.log").read_text().split()[0])
    assert os.getpgid(child) == process.popen.pid  # a session (a "machine") of its own
    assert _running(child)

    process.signal(signal.SIGKILL)
    process.popen.wait(5)
    time.sleep(0.2)

    assert not _running(child)


def test_paced_ticks_stop_when_asked():
    load = Load.__new__(Load)
    import threading

    load.stopping = threading.Event()
    ticks = 0
    for _ in load._paced(200):
        ticks += 1
        if ticks == 5:
            load.stopping.set()
    assert ticks == 5


def test_checks_name_a_send_missing_at_the_provider_and_a_webhook_lost(make_org, make_envelope):
    org = make_org()
    sent = make_envelope(org=org, status=EnvelopeStatus.SENT, provider="builtin")
    assert settled(org) == (0, 0)

    checks = {check.name: check for check in run_checks(org, webhook_ids={"evt-1"})}

    assert not checks["Paraph signing: every envelope sent exactly once"].ok
    assert "1 sent but missing" in checks["Paraph signing: every envelope sent exactly once"].detail
    assert not checks["Webhooks: every delivery stored and applied once"].ok
    assert checks["Audit chains verify"].ok

    SigningRequest.objects.create(envelope_ref=str(sent.pk), title="t", notify_email="s@example.com")
    WebhookDelivery.objects.create(
        provider="formify", connection=None, event_id="evt-1", body="{}", status=DeliveryStatus.PROCESSED
    )
    checks = {check.name: check for check in run_checks(org, webhook_ids=set())}
    assert checks["Paraph signing: every envelope sent exactly once"].ok
