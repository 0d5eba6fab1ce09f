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
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#documents").get_by_text(pdf.name)).to_be_visible()


def sign_in(page, live_server, membership) -> None:
    """Signs `membership`'s user in through the login page and waits for the portal."""
    from playwright.sync_api import expect

    from tests.conftest import PASSWORD

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(membership.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def expect_whole_portal_page(page) -> None:
    """The page is still a styled portal page: top bar and main navigation are there, and the
    portal's stylesheet applies (an unstyled fragment pasted over the page fails this)."""
    from playwright.sync_api import expect

    expect(page.locator("header.topbar")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.locator("link[rel=stylesheet][href*='portal']")).to_have_count(1)


def click_and_wait_for_answer(page, button) -> None:
    """Clicks a submit button and waits for the server's answer to that POST, so that a repeated
    submission is not mistaken for the one before it."""
    with page.expect_response(lambda response: response.request.method == "POST"):
        button.click()
