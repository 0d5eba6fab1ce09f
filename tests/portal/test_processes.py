"""The processes `make run` and production start: a real django-q2 worker, and the combined
web server + worker that Ctrl-C stops together. Both run against the test database."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone
from django_q.models import Schedule, Task
from django_q.tasks import async_task

from portal.schedules import SCHEDULES, schedules_ensure
from tests.conftest import child_environment

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def test_database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


def start(args: list[str], **kwargs) -> subprocess.Popen:
    env = child_environment(DATABASE_URL=test_database_url(), Q_WORKERS="1", PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


def stop(process: subprocess.Popen, sig=signal.SIGTERM, group: bool = False, timeout: float = 40) -> str:
    """Sends `sig` to the process (or, like Ctrl-C in a terminal, to its whole group)."""
    if process.poll() is None:
        if group:
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"process did not stop within {timeout}s:\n{output}")
    return output


def wait_for(condition, timeout: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def test_a_real_worker_runs_queued_tasks():
    Session.objects.create(session_key="old", session_data="", expire_date=timezone.now() - timedelta(days=1))
    Session.objects.create(session_key="new", session_data="", expire_date=timezone.now() + timedelta(days=1))
    task_id = async_task("portal.tasks.sessions_clear")
    worker = start(["qcluster"])
    try:
        task = wait_for(lambda: Task.objects.filter(id=task_id).first(), what="the worker to run the task")
    finally:
        output = stop(worker)
    assert task.success, output
    assert task.result == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new"]


def test_schedules_are_created_once_and_operator_edits_survive():
    assert schedules_ensure() == [s.name for s in SCHEDULES]
    Schedule.objects.filter(name=SCHEDULES[0].name).update(minutes=5)
    assert schedules_ensure() == []
    assert Schedule.objects.get(name=SCHEDULES[0].name).minutes == 5
    assert Schedule.objects.count() == len(SCHEDULES)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2) as response:
            return json.load(response)
    except OSError:
        return None


@pytest.mark.parametrize("launched_by", ["terminal", "script ignoring SIGINT"])
def test_serve_runs_web_and_worker_and_ctrl_c_stops_both(launched_by):
    port = free_port()
    # A shell script's background job starts with SIGINT ignored, and children inherit that.
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if launched_by != "terminal" else None
    serve = start(["serve", "--port", str(port)], preexec_fn=ignore)
    try:
        wait_for(
            lambda: (health(port) or {}).get("checks", {}).get("queue", {}).get("workers"),
            what="the web server to report a running worker",
        )
    finally:
        output = stop(serve, sig=signal.SIGINT, group=True)
    assert serve.returncode == 0, output
    assert health(port) is None  # the web server is gone too
