"""The demo organization's simulated accounts, connected again at every start through the
simulator's own OAuth consent page, the way an admin connects a real account."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import override_settings

from envelopes.lifecycle.states import envelope_transition
from envelopes.models import Envelope, EnvelopeStatus
from portal.kernel.tenancy import org_scoped
from portal.models import Membership, Organization, Role, User
from portal.simulation import Simulation, Simulator
from providers.connections import connection_begin, connection_complete
from providers.models import ConnectionStatus, ProviderConnection
from providers.registry import provider_class

log = logging.getLogger(__name__)

LABEL = "Simulated {name}"
LEFT_BEHIND = (
    "The simulated {name} account starts afresh with every start of the portal; this envelope's "
    "document went with the previous one. Send it again."
)


@dataclass
class SimulatedAccount:
    """What happened to one provider's simulated account at this start."""

    provider_id: str
    name: str
    connections: list[ProviderConnection] = field(default_factory=list)
    voided: int = 0  # envelopes left behind at the previous simulator
    problem: str = ""


def demo_organization() -> tuple[Organization, User] | None:
    """The organization `manage.py demo_setup` made, and its owner (the demo login)."""
    membership = (
        Membership.objects.filter(user__email=settings.DEMO_EMAIL, role=Role.OWNER)
        .select_related("org", "user")
        .order_by("org_id")
        .first()
    )
    return (membership.org, membership.user) if membership else None


def simulated_accounts_connect(simulation: Simulation, *, site_url: str) -> list[SimulatedAccount]:
    """Connects the demo organization to every simulator: its live connections to that provider
    are reconnected (fresh tokens and webhook), or a *Simulated* one is made. Nothing without a
    demo organization."""
    demo = demo_organization()
    if demo is None:
        return []
    org, owner = demo
    # This process talks to the simulators just as the web server and worker will.
    with override_settings(SITE_URL=site_url, **simulation.settings):
        return [_connect(org, owner, simulator) for simulator in simulation.simulators.values()]


def _connect(org: Organization, owner: User, simulator: Simulator) -> SimulatedAccount:
    provider = provider_class(simulator.provider_id)
    account = SimulatedAccount(provider.id, provider.name)
    if provider.connect != "oauth2":
        account.problem = f"{provider.name} does not connect by OAuth; connect it on the Connections page."
        return account
    existing = list(
        org_scoped(ProviderConnection, org)
        .filter(provider=provider.id, status__in=ConnectionStatus.live())
        .order_by("pk")
    )
    account.voided = _void_left_behind(org, existing, provider.name)
    try:
        for connection in existing or [None]:
            account.connections.append(_oauth_connect(org, owner, simulator, provider.name, reconnect=connection))
    except (ValidationError, ValueError) as exc:
        account.problem = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        log.warning("simulated %s not connected: %s", provider.id, account.problem)
    return account


def _oauth_connect(
    org: Organization, owner: User, simulator: Simulator, name: str, *, reconnect: ProviderConnection | None
) -> ProviderConnection:
    """Consent at the simulator and the callback, as the browser would carry them."""
    session: dict = {}
    consent_url = connection_begin(
        session=session,
        org=org,
        provider_id=simulator.provider_id,
        label=LABEL.format(name=name),
        reconnect=reconnect.pk if reconnect else None,
    )
    callback = simulator.fake.consent(consent_url)
    params = dict(parse_qsl(urlsplit(callback).query))
    return connection_complete(session=session, org=org, provider_id=simulator.provider_id, params=params, actor=owner)


def _void_left_behind(org: Organization, connections: list[ProviderConnection], name: str) -> int:
    """Voids the envelopes still out for signature at the previous simulator, which is gone: no
    signer can sign them any more and polling would only ever hear "not found"."""
    if not connections:
        return 0
    reason = LEFT_BEHIND.format(name=name)
    left = org_scoped(Envelope, org).filter(connection__in=connections, status=EnvelopeStatus.SENT)
    return sum(
        envelope_transition(envelope=envelope, to=EnvelopeStatus.VOIDED, void_reason=reason, data={"reason": reason})
        for envelope in left
    )
