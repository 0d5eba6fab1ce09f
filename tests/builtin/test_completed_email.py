"""The e-mail sent when everyone has signed points to the seal check with a link that works
from a mail client."""

from __future__ import annotations

from django.core import mail

from tests.builtin.conftest import links_for
from tests.builtin.test_flows import ANNA, typed


def test_completed_email_links_to_the_verification_page(client, send_builtin, committed, settings):
    settings.SITE_URL = "https://sign.example.com"
    send_builtin([ANNA])
    committed(client.post, links_for("anna@example.com")[0] + "act/", typed())

    notice = next(m for m in mail.outbox if m.subject.startswith("Completed"))
    assert "https://sign.example.com/verify/" in notice.body.split()
