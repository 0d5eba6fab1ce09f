"""The public page where anyone checks a PDF's seal."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.fernet import Fernet
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from providers.builtin import verify_views
from providers.builtin.models import SigningRequest
from providers.builtin.sealing import reset_sealing_cache, seal_pdf
from tests.envelopes.pdfs import make_pdf


@pytest.fixture(autouse=True)
def fresh_identity(settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.SIGNING_CERT_FILE = ""
    settings.SITE_URL = "https://paraph.example"
    reset_sealing_cache()
    yield
    reset_sealing_cache()


def check(client, content: bytes, name: str = "lease.pdf"):
    return client.post(reverse("verify_pdf"), {"file": SimpleUploadedFile(name, content, "application/pdf")})


def stored(sealed: bytes, **fields) -> SigningRequest:
    fields = {"envelope_ref": "env-1", "title": "Lease for Flat 3", "message": "Private note for the tenant"} | fields
    return SigningRequest.objects.create(sealed_sha256=hashlib.sha256(sealed).hexdigest(), **fields)


def test_the_page_offers_a_labelled_upload_without_signing_in(client, db):
    page = client.get(reverse("verify_pdf")).content.decode()
    assert '<label for="verify-file">' in page and 'id="verify-file"' in page and 'type="file"' in page
    assert "Check this PDF" in page and 'class="topbar"' in page


def test_a_sealed_stored_file_is_sealed_by_this_paraph_and_unchanged(client, db):
    sealed = seal_pdf(make_pdf(2))
    stored(sealed)
    response = check(client, sealed)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Sealed by this Paraph and unchanged" in page
    assert "Paraph signing (paraph.example)" in page and " UTC" in page
    assert "Lease for Flat 3" in page
    # The title is all the page tells about the envelope.
    assert "Private note" not in page and "env-1" not in page


def test_a_sealed_file_paraph_did_not_store_says_so(client, db):
    page = check(client, seal_pdf(make_pdf(1))).content.decode()
    assert "Sealed by this Paraph and unchanged" in page and "No sealed file with exactly these bytes" in page


def test_a_file_changed_after_sealing_is_reported_as_changed(client, db):
    sealed = seal_pdf(make_pdf(1))
    stored(sealed)
    page = check(client, sealed + b"\n%% edited\n").content.decode()
    assert "Changed after sealing" in page and "changed after it was sealed" in page
    assert "Lease for Flat 3" not in page


@pytest.mark.parametrize(
    "content,problem",
    [(make_pdf(1), "This PDF carries no digital seal."), (b"just some text", "This file is not a PDF.")],
    ids=["unsealed-pdf", "not-a-pdf"],
)
def test_a_file_without_this_paraphs_seal_is_not_sealed_by_paraph(client, db, content, problem):
    page = check(client, content).content.decode()
    assert "Not sealed by Paraph" in page and problem in page


def test_a_file_over_the_size_limit_is_refused_without_being_checked(client, db, settings, monkeypatch):
    settings.MAX_DOCUMENT_MB = 1
    monkeypatch.setattr(verify_views, "verify_sealed_pdf", lambda content: pytest.fail("an oversize file was checked"))
    response = check(client, b"%PDF-1.7\n" + b"0" * (3 * 1024 * 1024 // 2))
    assert response.status_code == 400
    assert "This file is 1.5 MB; Paraph checks PDFs of up to 1 MB." in response.content.decode()


def test_posting_without_a_file_asks_for_one(client, db):
    response = client.post(reverse("verify_pdf"))
    assert response.status_code == 400 and "Choose the PDF to check" in response.content.decode()


def test_checks_are_limited_per_ip_address_with_a_sentence_that_says_wait(client, db, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "verify_pdf": "3/m/ip"}
    pdf = make_pdf(1)
    assert [check(client, pdf).status_code for _ in range(3)] == [200, 200, 200]
    refused = check(client, pdf)
    assert refused.status_code == 429
    assert verify_views.TOO_MANY_CHECKS in refused.content.decode()
    # Someone else, from another address, is not held up.
    other = client.post(
        reverse("verify_pdf"), {"file": SimpleUploadedFile("x.pdf", pdf, "application/pdf")}, REMOTE_ADDR="10.1.2.3"
    )
    assert other.status_code == 200


def test_the_verify_page_is_limited_by_default(client, db):
    pdf = make_pdf(1)
    codes = [check(client, pdf).status_code for _ in range(11)]
    assert codes[:10] == [200] * 10 and codes[10] == 429
