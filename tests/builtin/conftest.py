"""Envelopes sent with Paraph signing, through the same services a user's clicks call."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django_q.conf import Conf

from envelopes.composing.participants import envelope_set_signing_order, participant_add
from envelopes.services import envelope_create, envelope_send
from portal.models import Role

LINK = re.compile(r"https?://[^/\s]+(/sign/[\w-]+/)")


@pytest.fixture(autouse=True)
def _tasks_run_inline(monkeypatch, settings, tmp_path):
    # The sealing task runs in the test instead of waiting for a worker.
    monkeypatch.setattr(Conf, "SYNC", True)
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs `action` and then what it left for after the commit (e-mails, reports to envelopes)."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


def links_for(email: str) -> list[str]:
    return [LINK.search(m.body).group(1) for m in mail.outbox if email in m.to and LINK.search(m.body)]


@pytest.fixture
def send_builtin(make_member, make_document, committed):
    """Sends an envelope to `people` [(name, email, extra fields)…] with built-in signing."""

    def send(people, *, sequential: bool = False, pages: int = 2, attachments: int = 0, **envelope_fields):
        sender = make_member(role=Role.SENDER)
        envelope = envelope_create(org=sender.org, actor=sender.user, title="Lease")
        assert envelope.provider == "builtin"
        make_document(envelope, pages=pages)
        for _ in range(attachments):
            make_document(envelope, kind="attachment")
        for name, email, extra in people:
            participant_add(envelope=envelope, name=name, email=email, **extra)
        if sequential:
            envelope_set_signing_order(envelope=envelope, sequential=True)
        for field, value in envelope_fields.items():
            setattr(envelope, field, value)
        envelope.save()
        # The send task runs inline (see above), as a worker would run it.
        committed(envelope_send, envelope=envelope, actor=sender.user)
        envelope.refresh_from_db()
        assert envelope.status == "sent", envelope.last_error
        return envelope

    return send
