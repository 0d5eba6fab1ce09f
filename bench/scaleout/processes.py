"""The fleet: web servers and worker clusters as separate process groups, like separate machines,
started with one environment and stopped (or killed) as a whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent.parent
GUNICORN_CONFIG = ROOT / "gunicorn.conf.py"


@dataclass
class Process:
    name: str
    argv: list[str]
    log: Path
    popen: subprocess.Popen | None = None

    def start(self, env: dict[str, str]) -> None:
        with self.log.open("ab") as out:
            # A session of its own: the process and its children form one group, killed together.
            self.popen = subprocess.Popen(
                self.argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def signal(self, signum: int) -> None:
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signum)

    def stop(self, timeout: float = 15) -> None:
        if self.popen is None:
            return
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.popen.wait(5)
        # Whatever the group left behind (a cluster's workers) goes too.
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@dataclass
class Fleet:
    env: dict[str, str]
    logs: Path
    web_ports: list[int]
    workers: int
    web: list[Process] = field(default_factory=list)
    clusters: list[Process] = field(default_factory=list)

    def start(self) -> None:
        python = sys.executable
        for port in self.web_ports:
            argv = [python, "-m", "gunicorn", "portal.wsgi", "-c", str(GUNICORN_CONFIG), "--bind", f"127.0.0.1:{port}"]
            self.web.append(Process(f"web-{port}", argv, self.logs / f"web-{port}.log"))
        for n in range(self.workers):
            argv = [python, "manage.py", "qcluster"]
            self.clusters.append(Process(f"worker-{n + 1}", argv, self.logs / f"worker-{n + 1}.log"))
        for process in self.web + self.clusters:
            process.start(self.env)
        for port in self.web_ports:
            _wait_for(f"http://127.0.0.1:{port}/health/")

    def kill_worker(self, index: int) -> None:
        """A machine dies: the cluster's whole process group gets SIGKILL, nothing is cleaned up."""
        self.clusters[index].signal(signal.SIGKILL)
        self.clusters[index].popen.wait(5)

    def restart_worker(self, index: int) -> None:
        self.clusters[index].start(self.env)

    def stop(self) -> None:
        for process in self.clusters + self.web:
            process.stop()


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code in (200, 503):
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s; see the logs")
