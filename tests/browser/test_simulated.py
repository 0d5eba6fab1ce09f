"""`make run` with nothing configured: the demo user finds a connected *Simulated Formify* account,
sends through it, signs as the simulated signers on the simulators' control page, watches the
envelope complete without reloading and finds it counted on the dashboard. Runs the real `serve`
(web server, worker and simulators) against the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.conftest import compose_add_participant, compose_start
from tests.conftest import child_environment
from tests.envelopes.pdfs import make_pdf
from tests.portal.test_processes import ROOT, free_port, health, test_database_url, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def make_run(tmp_path):
    """`make run`'s last two steps (demo_setup, serve) on free ports; yields (portal URL, control page URL)."""
    port, control_port = free_port(), free_port()
    env = child_environment(
        DATABASE_URL=test_database_url(),
        DEBUG="1",
        SITE_URL=f"http://127.0.0.1:{port}",
        MEDIA_ROOT=str(tmp_path / "media"),
        Q_WORKERS="1",
        PYTHONUNBUFFERED="1",
    )
    for name in ("SIMULATED_PROVIDERS", "FORMIFY_CLIENT_ID", "FORMIFY_API_URL", "FORMIFY_AUTHORIZE_URL"):
        env.pop(name, None)  # nothing configured, as on a newcomer's machine
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "demo_setup"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    output = tmp_path / "serve.log"
    with output.open("w") as log:
        serve = subprocess.Popen(
            [*manage, "serve", "--port", str(port), "--simulators-port", str(control_port)],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(
            lambda: (health(port) or {}).get("checks", {}).get("queue", {}).get("workers"),
            what="the web server to report a running worker",
        )
        assert f"act as their signers at http://127.0.0.1:{control_port}/" in output.read_text()
        yield f"http://127.0.0.1:{port}", f"http://127.0.0.1:{control_port}/"
    finally:
        os.killpg(serve.pid, signal.SIGINT)  # Ctrl-C
        try:
            serve.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()
    assert serve.returncode == 0, output.read_text()


def test_the_demo_user_sends_through_simulated_formify_and_watches_it_complete(
    make_run, page, context, console_errors, tmp_path
):
    portal, control_page = make_run
    contract = tmp_path / "contract.pdf"
    contract.write_bytes(make_pdf(1))

    page.goto(portal + "/accounts/login/")
    page.get_by_label("Email").fill(settings.DEMO_EMAIL)
    page.get_by_label("Password").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Connections").click()
    formify = page.locator("[data-provider=formify]")
    expect(formify.locator(".connection")).to_have_count(1)
    expect(formify.get_by_text("Simulated Formify", exact=True)).to_be_visible()
    expect(formify.get_by_text("Connected", exact=True)).to_be_visible()
    page.screenshot(path=tmp_path / "connections.png", full_page=True)

    compose_start(page, "Lease", contract, send_with="Formify — Simulated Formify")
    compose_add_participant(page, "Anna Andersson", "anna@example.com")
    compose_add_participant(page, "Bo Berg", "bo@example.com")
    page.get_by_role("button", name="Send for signature").click()
    expect(page.get_by_text("Awaiting signatures").first).to_be_visible(timeout=20_000)

    # The signers, on the simulators' control page in another tab.
    signers = context.new_page()
    signers.goto(control_page)
    envelope = signers.locator("[data-simulator=formify] [data-envelope]")
    expect(envelope).to_have_count(1)
    expect(envelope).to_contain_text("Lease")
    signers.get_by_role("button", name="Sign as Anna Andersson").click()
    expect(signers.get_by_role("status")).to_have_text("Anna Andersson signed at simulated Formify.")
    signers.get_by_role("button", name="Sign as Bo Berg").click()
    expect(signers.get_by_role("status")).to_have_text("Bo Berg signed at simulated Formify.")
    expect(envelope.get_by_role("button")).to_have_count(0)  # nobody is left to sign
    signers.screenshot(path=tmp_path / "control-page.png", full_page=True)

    # The envelope page, never reloaded, follows the webhooks by itself.
    expect(page.get_by_text("Completed").first).to_be_visible(timeout=30_000)
    expect(page.get_by_role("link", name="Download signed PDF")).to_be_visible()
    page.screenshot(path=tmp_path / "completed.png", full_page=True)

    # The dashboard counts it under the simulated account, beside Paraph signing.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    row = page.get_by_role("region", name="By provider").get_by_role("row", name="Simulated Formify")
    expect(row.get_by_role("cell")).to_have_text(["0", "0", "0", "1", "0", "0", "0"])
    page.screenshot(path=tmp_path / "dashboard.png", full_page=True)
    assert console_errors == []
