"""`make run`: the web server and a task worker together in the foreground, and in development
the provider simulators (portal/simulation) for as long as they run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django import db
from django.core.management.base import BaseCommand

from portal.simulation import simulation_enabled
from portal.simulation.startup import simulation_start

STOP_TIMEOUT = 20


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Runs the development web server and a django-q2 worker together; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument(
            "--simulators-port",
            type=int,
            default=None,
            help="Port of the simulated providers' control page (development only); default: the web port + 1.",
        )

    def handle(self, *args, host: str, port: str, simulators_port: int | None, **options):
        # Also when started from a script that ignores SIGINT: children inherit an ignored
        # signal, a handler is reset to the default for them.
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
        manage = [sys.executable, "manage.py"]
        # Links in e-mails (invitations, signing links) must point at the port actually served.
        os.environ.setdefault("SITE_URL", f"http://{host}:{port}")
        simulation = self._simulate(int(port) + 1 if simulators_port is None else simulators_port)
        environment = {**os.environ, **(simulation.environment if simulation else {})}
        # Each child leads its own process group, so that this command alone decides how they
        # stop: the worker shuts down cleanly on SIGINT to its group, but can hang when its
        # processes receive SIGTERM all at once.
        children = [
            subprocess.Popen([*manage, "runserver", f"{host}:{port}"], start_new_session=True, env=environment),
            subprocess.Popen([*manage, "qcluster"], start_new_session=True, env=environment),
        ]
        self.stdout.write(f"Paraph is at http://{host}:{port}/ with a task worker. Ctrl-C stops both.")
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stdout.write("Stopping the web server and the worker…")
        finally:
            self._stop(children)
            if simulation:
                simulation.stop()
        failed = [child.args[2] for child in children if child.returncode not in (0, -signal.SIGINT)]
        if failed:
            raise SystemExit(f"{', '.join(failed)} stopped unexpectedly.")

    def _simulate(self, control_port: int):
        """Starts the provider simulators before the children, which get their addresses."""
        if not simulation_enabled():
            return None
        simulation = simulation_start(site_url=os.environ["SITE_URL"], control_port=control_port)
        for line in simulation.report():
            self.stdout.write(line)
        db.connections.close_all()  # from here on this process only supervises
        return simulation

    @staticmethod
    def _stop(children: list[subprocess.Popen]) -> None:
        for child in children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGINT)
        deadline = time.monotonic() + STOP_TIMEOUT
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
