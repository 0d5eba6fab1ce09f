"""Simulated provider accounts for `make run`: see Paraph send through an external provider without
an account there.

With DEBUG on (and SIMULATED_PROVIDERS not 0), `manage.py serve` starts a simulator of each
external provider listed below on 127.0.0.1, for as long as it runs: the stateful fake servers the
tests use. The web server and the worker get that provider's settings pointing at the simulator,
the demo organization gets a connected *Simulated* account with it, and a small control page lets
you act as the signers (see `control.py`).

A simulator keeps its state in memory, so each start is a fresh provider account: the demo
organization's simulated connection is connected again through the simulator's OAuth consent, and
its envelopes still out for signature from an earlier run are voided, because their documents are
gone with the old simulator (`accounts.py`).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

# Provider id → the simulator's class, started with no arguments. Each provider's fake adds its line.
SIMULATORS: dict[str, str] = {
    "formify": "tests.fakes.formify.FakeFormify",
}
# What a simulator tells Paraph, as the provider's settings `<ID>_<NAME>` (FORMIFY_API_URL, ...):
# each of these attributes the simulator has.
SIMULATOR_SETTINGS = ("api_url", "authorize_url", "client_id", "client_secret")
# Webhooks the portal did not acknowledge (it was restarting) are sent again this often.
REDELIVER_EVERY = 10.0


def simulation_enabled() -> bool:
    """Simulators run only in development; `check --deploy` refuses SIMULATED_PROVIDERS without DEBUG."""
    return settings.DEBUG and settings.SIMULATED_PROVIDERS


@dataclass
class Simulator:
    """One running simulator and the settings that point Paraph at it."""

    provider_id: str
    fake: object

    @property
    def settings(self) -> dict[str, str]:
        prefix = self.provider_id.upper()
        return {
            f"{prefix}_{name.upper()}": str(getattr(self.fake, name))
            for name in SIMULATOR_SETTINGS
            if hasattr(self.fake, name)
        }

    def stop(self) -> None:
        self.fake.stop()


@dataclass
class Simulation:
    """The running simulators; `environment` is what the web server and worker need to use them."""

    simulators: dict[str, Simulator]
    skipped: dict[str, str] = field(default_factory=dict)  # provider id → why it is not simulated
    _stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def settings(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for simulator in self.simulators.values():
            merged.update(simulator.settings)
        return merged

    @property
    def environment(self) -> dict[str, str]:
        environment = dict(self.settings)
        if any(value.startswith("http://") for value in environment.values()):
            # The simulators speak plain HTTP on loopback; OAuth libraries refuse that unless told.
            environment["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
        return environment

    def redeliver_webhooks(self) -> None:
        """Keeps sending the webhooks the portal missed (the provider's retries, sooner), until stopped."""
        while not self._stopping.wait(REDELIVER_EVERY):
            for simulator in self.simulators.values():
                deliver_pending = getattr(simulator.fake, "deliver_pending", None)
                if deliver_pending is not None:
                    deliver_pending()

    def stop(self) -> None:
        self._stopping.set()
        for simulator in self.simulators.values():
            simulator.stop()


def simulators_start(environ: dict[str, str]) -> Simulation:
    """Starts a simulator for each provider whose settings are not given in `environ`: a real
    account configured there (FORMIFY_CLIENT_ID set) is used, never replaced by a simulator."""
    simulation = Simulation(simulators={})
    for provider_id, path in SIMULATORS.items():
        client_id = f"{provider_id.upper()}_CLIENT_ID"
        if environ.get(client_id):
            simulation.skipped[provider_id] = f"{client_id} is set, so that account is used instead"
            continue
        fake = import_string(path)().start()
        simulation.simulators[provider_id] = Simulator(provider_id, fake)
        log.info("simulated %s at %s", provider_id, getattr(fake, "base_url", "?"))
    threading.Thread(target=simulation.redeliver_webhooks, name="simulated-webhooks", daemon=True).start()
    return simulation
