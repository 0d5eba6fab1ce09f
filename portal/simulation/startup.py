"""What `manage.py serve` does to simulate providers: start the simulators and their control page,
connect the demo organization, and say where everything is."""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field

from portal.simulation import Simulation, simulators_start
from portal.simulation.accounts import SimulatedAccount, simulated_accounts_connect
from portal.simulation.control import ControlPage


@dataclass
class RunningSimulation:
    simulation: Simulation
    control: ControlPage
    accounts: list[SimulatedAccount] = field(default_factory=list)

    @property
    def environment(self) -> dict[str, str]:
        """Settings for the web server and the worker, so they use the simulators too."""
        return self.simulation.environment

    def report(self) -> list[str]:
        """Lines for the terminal: what is simulated, where to act as its signers, what changed."""
        lines = [f"{provider_id}: not simulated, {why}." for provider_id, why in self.simulation.skipped.items()]
        if self.simulation.simulators:
            names = ", ".join(account.name for account in self.accounts) or ", ".join(self.simulation.simulators)
            lines.append(f"Simulated providers ({names}): act as their signers at {self.control.url}")
        for account in self.accounts:
            if account.problem:
                lines.append(f"The demo organization's simulated {account.name} is not connected: {account.problem}")
                continue
            labels = ", ".join(connection.label for connection in account.connections)
            lines.append(f"The demo organization's {labels} account is connected.")
            if account.voided:
                lines.append(
                    f"{account.voided} envelope(s) sent through the previous simulated {account.name} were voided: "
                    "a simulator forgets everything when it stops."
                )
        return lines

    def stop(self) -> None:
        self.control.stop()
        self.simulation.stop()


def simulation_start(*, site_url: str, control_port: int) -> RunningSimulation:
    """Starts every simulator (unless that provider's own account is configured), the control
    page on `control_port` (any free port when that one is taken) and connects the demo
    organization. The caller passes `environment` to the processes it starts."""
    simulation = simulators_start(dict(os.environ))
    try:
        control = ControlPage(simulation, port=control_port, site_url=site_url)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        control = ControlPage(simulation, port=0, site_url=site_url)
    running = RunningSimulation(simulation, control.start())
    if "OAUTHLIB_INSECURE_TRANSPORT" in simulation.environment:
        # This process exchanges the consent's code with the simulators over plain HTTP too.
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    running.accounts = simulated_accounts_connect(simulation, site_url=site_url)
    return running
