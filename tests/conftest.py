"""Factory fixtures shared by every test, and the guard that keeps tests off the network."""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
import os
import socket

import pytest
from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile

from envelopes.models import Document, Envelope, EnvelopeStatus, Participant, ParticipantRole
from portal.models import Membership, Organization, Role, User
from portal.services import organization_create
from tests.envelopes.pdfs import make_pdf

PASSWORD = "correct-horse-battery-staple"
# Set for the test process only (see tests/browser/conftest.py); a server or worker must not inherit it.
TEST_PROCESS_ONLY = {"DJANGO_ALLOW_ASYNC_UNSAFE"}
_counter = itertools.count(1)

# The fake provider servers and their fixtures (`fake_formify`, `fake_scrive`, `fake_easyink`).
pytest_plugins = ["tests.fakes.formify_fixtures", "tests.fakes.scrive_fixtures", "tests.fakes.easyink_fixtures"]


def child_environment(**overrides: str) -> dict[str, str]:
    """The environment for a process a test starts (a worker, a server, a settings check)."""
    env = {key: value for key, value in os.environ.items() if key not in TEST_PROCESS_ONLY}
    return {**env, **overrides}


@pytest.fixture(autouse=True, scope="session")
def _no_outside_network():
    """Tests talk only to this machine: databases, the worker, live servers and provider fakes."""
    real_connect = socket.socket.connect

    def guarded_connect(sock, address):
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = False
            if not loopback:
                raise ConnectionRefusedError(f"Tests may not reach {host}; use a fake on 127.0.0.1.")
        return real_connect(sock, address)

    socket.socket.connect = guarded_connect
    yield
    socket.socket.connect = real_connect


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing is deliberately slow; tests check behaviour, not the hash's cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(db):
    def make(email: str | None = None, password: str = PASSWORD, verified: bool = True, **extra) -> User:
        email = email or f"person{next(_counter)}@example.com"
        user = User.objects.create_user(email=email, password=password, **extra)
        EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
        return user

    return make


@pytest.fixture
def make_org(db, make_user):
    def make(name: str | None = None, owner: User | None = None) -> Organization:
        return organization_create(name=name or f"Company {next(_counter)}", owner=owner or make_user())

    return make


@pytest.fixture
def make_member(db, make_user, make_org):
    """A user with `role` in `org` (a new organization when none is given)."""

    def make(role: str = Role.SENDER, org: Organization | None = None, user: User | None = None) -> Membership:
        org = org or make_org()
        user = user or make_user()
        return Membership.objects.update_or_create(org=org, user=user, defaults={"role": role})[0]

    return make


@pytest.fixture
def member_client(client, make_member):
    """A test client signed in as a member with `role`; returns (client, membership)."""

    def make(role: str = Role.SENDER, org: Organization | None = None, user: User | None = None):
        membership = make_member(role=role, org=org, user=user)
        client.force_login(membership.user)
        session = client.session
        session["paraph_org_id"] = membership.org_id
        session.save()
        return client, membership

    return make


@pytest.fixture
def fake_providers(monkeypatch):
    """Registers the in-memory providers ("memory", "limited") and resets their remote state."""
    from providers import registry
    from tests.fakes.memory import MemoryProvider

    monkeypatch.setattr(
        registry,
        "PROVIDERS",
        {"memory": "tests.fakes.memory.MemoryProvider", "limited": "tests.fakes.memory.LimitedProvider"},
    )
    MemoryProvider.reset()
    yield MemoryProvider
    MemoryProvider.reset()


@pytest.fixture
def make_envelope(db, make_org):
    def make(org=None, status: str = EnvelopeStatus.DRAFT, title: str | None = None, **fields) -> Envelope:
        return Envelope.objects.create(
            org=org or make_org(), status=status, title=title or f"Agreement {next(_counter)}", **fields
        )

    return make


@pytest.fixture
def make_participant(db):
    def make(envelope: Envelope, role: str = ParticipantRole.SIGNER, order: int = 1, **fields) -> Participant:
        n = next(_counter)
        fields.setdefault("name", f"Person {n}")
        fields.setdefault("email", f"person{n}@example.com")
        fields.setdefault("position", envelope.participants.count())
        return Participant.objects.create(envelope=envelope, role=role, order=order, **fields)

    return make


@pytest.fixture
def make_document(db):
    def make(envelope: Envelope, pages: int = 1, name: str | None = None, **fields) -> Document:
        content = make_pdf(pages)
        document = Document(
            envelope=envelope,
            name=name or f"contract-{next(_counter)}.pdf",
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            page_count=pages,
            position=envelope.documents.count(),
            **fields,
        )
        document.file.save(document.name, ContentFile(content), save=True)
        return document

    return make
