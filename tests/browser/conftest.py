"""Playwright drives Debian's Chromium against a live Paraph server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# `make test` installs it there (or says how); CHROMIUM points elsewhere.
CHROMIUM = Path(os.environ.get("CHROMIUM") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Playwright's sync API leaves an event loop running in the test thread for the rest of the
# session; the tests' own ORM calls are still plain synchronous code. Processes the tests start
# get an environment without it (tests/conftest.py: child_environment).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skipped browser test is a failure, whatever skipped it: a green run there must have
    driven the browser."""
    report = yield
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"A browser test may not be skipped in CI. {reason}"
    return report


@pytest.fixture
def console_errors(page):
    """Errors the page logs (a CSP violation, a missing script); a test asserts there are none."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def compose_add_participant(page, name: str, email: str) -> None:
    """On the compose page: opens "Add a participant" if needed, fills it in and waits for the row."""
    from playwright.sync_api import expect

    details = page.locator("details.add-person")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_role("button", name="Add participant").click()
    expect(page.locator("#participants").get_by_text(email)).to_be_visible()


def compose_start(page, title: str, pdf, send_with: str | None = None) -> None:
    """From any portal page: a new envelope with `title`, saved, and `pdf` uploaded."""
    from playwright.sync_api import expect

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Envelopes").click()
    page.get_by_role("button", name="New envelope").click()
    page.get_by_label("Title", exact=True).fill(title)
    if send_with:
        page.get_by_label("Send with").select_option(label=send_with)
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#settings").get_by_text("Saved")).to_be_visible()
    page.locator("#upload-files").set_input_files(str(pdf))
    expect(page.locator("#documents").get_by_text(pdf.name)).to_be_visible()
