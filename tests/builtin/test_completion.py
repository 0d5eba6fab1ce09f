"""When the last signer signs: the stamped, certified and sealed PDF, and its download links."""

from __future__ import annotations

import hashlib
import re

from django.core import mail

from envelopes.models import EnvelopeStatus, SignatureField
from providers.builtin.completion import request_finalize
from providers.builtin.models import SigningRequest
from providers.builtin.sealing import verify_sealed_pdf
from tests.builtin.conftest import links_for
from tests.builtin.test_flows import ANNA, BO, typed

DOWNLOAD = re.compile(r"https?://[^/\s]+(/signed/[^\s]+/)")


def test_completion_seals_the_pdf_and_sends_download_links(client, send_builtin, committed):
    envelope = send_builtin([ANNA, BO], sequential=True)
    committed(client.post, links_for("anna@example.com")[0] + "act/", typed())
    committed(client.post, links_for("bo@example.com")[0] + "act/", typed("Bo Berg"))

    envelope.refresh_from_db()
    assert envelope.status == EnvelopeStatus.COMPLETED
    signing = SigningRequest.objects.get(envelope_ref=str(envelope.pk))
    sealed = envelope.signed_file.read()
    assert hashlib.sha256(sealed).hexdigest() == envelope.signed_sha256 == signing.sealed_sha256
    verdict = verify_sealed_pdf(sealed)
    assert verdict.sealed and verdict.intact and verdict.by_this_instance

    notices = [m for m in mail.outbox if m.subject.startswith("Completed")]
    assert {address for m in notices for address in m.to} == {
        "anna@example.com",
        "bo@example.com",
        envelope.created_by.email,
    }
    path = DOWNLOAD.search(notices[0].body).group(1)
    response = client.get(path)
    assert response.status_code == 200 and b"".join(response.streaming_content) == sealed
    forged = client.get(path[:-4] + "abc/")
    assert forged.status_code == 404 and "expired or is not valid" in forged.content.decode()


def test_the_certificate_names_everyone_and_the_audit_head(client, send_builtin, committed):
    import io

    from pypdf import PdfReader

    envelope = send_builtin([ANNA])
    committed(client.post, links_for("anna@example.com")[0] + "act/", typed())
    envelope.refresh_from_db()
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(envelope.signed_file.read())).pages)
    assert "Anna Andersson" in text and "anna@example.com" in text
    assert envelope.documents.get().sha256 in text.replace("\n", "")


def test_a_signature_placed_on_page_two_is_stamped_there(client, send_builtin, committed):
    import io

    from pypdf import PdfReader

    envelope = send_builtin([ANNA], pages=2)
    anna = envelope.participants.get()
    SignatureField.objects.create(document=envelope.documents.get(), participant=anna, page=2, x=100, y=100)
    # Placement is part of what was sent; send a fresh copy of the request with the box.
    from providers.builtin.models import Signer

    Signer.objects.filter(ref=str(anna.pk)).update(
        fields=[
            {
                "document_ref": str(envelope.documents.get().pk),
                "page": 2,
                "x": 100,
                "y": 100,
                "width": 180,
                "height": 60,
            }
        ]
    )
    committed(client.post, links_for("anna@example.com")[0] + "act/", typed())
    envelope.refresh_from_db()
    reader = PdfReader(io.BytesIO(envelope.signed_file.read()))
    assert "Anna Andersson" in reader.pages[1].extract_text()
    assert "Anna Andersson" not in reader.pages[0].extract_text()


def test_finalizing_twice_changes_nothing(client, send_builtin, committed):
    envelope = send_builtin([ANNA])
    committed(client.post, links_for("anna@example.com")[0] + "act/", typed())
    signing = SigningRequest.objects.get(envelope_ref=str(envelope.pk))
    before = signing.sealed_sha256
    assert request_finalize(str(signing.pk)).startswith("nothing to do")
    signing.refresh_from_db()
    assert signing.sealed_sha256 == before
    assert envelope.events.filter(kind="envelope.completed").count() == 1


def test_the_certificate_says_which_event_its_head_is_and_the_envelope_page_marks_it(
    client, send_builtin, committed, member_client
):
    import io

    from django.urls import reverse
    from pypdf import PdfReader

    envelope = send_builtin([ANNA])
    committed(client.post, links_for("anna@example.com")[0] + "act/", typed())
    envelope.refresh_from_db()
    signed = envelope.events.get(kind="participant.signed")
    completed = envelope.events.get(kind="envelope.completed")
    # The Completed event comes after the seal: the envelope's newest link is not the certificate's head.
    assert envelope.last_event_hash == completed.hash != signed.hash

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(envelope.signed_file.read())).pages)
    flat = text.replace("\n", "")
    assert signed.hash in flat
    assert f"Signed (participant.signed), {signed.occurred_at:%Y-%m-%d %H:%M:%S} UTC" in flat
    assert completed.data["sealed_at_event"]["hash"] == signed.hash

    viewer, _ = member_client(org=envelope.org)
    page = viewer.get(reverse("envelope_detail", args=[envelope.pk])).content.decode()
    assert f"sealed at event “Signed” (participant.signed), SHA-256 <code>{signed.hash}</code>" in page
