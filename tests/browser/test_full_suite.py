"""`make test` runs what CI runs: the browser tests are never quietly left out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import child_environment

ROOT = Path(__file__).resolve().parents[2]
ONE_BROWSER_TEST = "tests/browser/test_dashboard.py"


def make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-s", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=60)


def test_make_test_stops_with_the_install_command_when_chromium_is_missing_and_it_cannot_install():
    result = make("chromium", "CHROMIUM=/nonexistent/chromium", "IS_ROOT=")
    assert result.returncode != 0
    assert "sudo apt-get install -y chromium" in result.stderr


def test_make_test_installs_chromium_from_the_distribution_when_root():
    result = make("chromium", "CHROMIUM=/nonexistent/chromium", "IS_ROOT=1", "APT_GET=echo apt-get")
    assert "apt-get install -y -qq chromium" in result.stdout
    # The stand-in installer installed nothing, and make says so rather than running on.
    assert result.returncode != 0 and "still missing" in result.stderr


def test_make_test_goes_on_when_chromium_is_there(tmp_path):
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)
    assert make("chromium", f"CHROMIUM={chromium}", "IS_ROOT=").returncode == 0


def run_browser_test(tmp_path, **env: str) -> subprocess.CompletedProcess:
    # A database of its own, so the run cannot touch the one this session tests on.
    environment = child_environment(
        CHROMIUM="/nonexistent/chromium", VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3"
    )
    environment.pop("CI", None)
    environment.update(env)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-x", ONE_BROWSER_TEST]
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300)


def test_a_browser_test_without_chromium_fails_in_ci(tmp_path):
    result = run_browser_test(tmp_path, CI="true")
    assert result.returncode == 1, result.stdout[-2000:]
    assert "A browser test may not be skipped in CI" in result.stdout


def test_a_browser_test_without_chromium_is_skipped_with_the_reason_outside_ci(tmp_path):
    result = run_browser_test(tmp_path)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "skipped" in result.stdout and "need Chromium at /nonexistent/chromium" in result.stdout
