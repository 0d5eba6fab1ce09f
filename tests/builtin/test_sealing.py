"""The instance's seal on completed PDFs: made once, kept encrypted, and checked offline."""

from __future__ import annotations

import hashlib
import io
import re
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from portal.kernel.crypto import decrypt
from providers.builtin import sealing
from providers.builtin.models import SealingIdentity, SigningRequest
from providers.builtin.sealing import (
    reset_sealing_cache,
    seal_pdf,
    sealing_identity,
    self_signed_certificate,
    verify_sealed_pdf,
)
from tests.envelopes.pdfs import make_pdf


@pytest.fixture(autouse=True)
def fresh_identity(settings):
    """No certificate file, a new encryption key, and nothing loaded in this process."""
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.SIGNING_CERT_FILE = ""
    settings.SIGNING_CERT_PASSWORD = ""
    settings.SITE_URL = "https://paraph.example"
    reset_sealing_cache()
    yield
    reset_sealing_cache()


def certificate_file(folder, password: str = "", common_name: str = "Acme seal") -> tuple[str, x509.Certificate]:
    """A PKCS#12 file as an operator would configure it; returns (path, certificate)."""
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = self_signed_certificate(key, common_name=common_name, days=30)
    protection = serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    path = folder / "seal.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"acme", key, certificate, None, protection))
    return str(path), certificate


def flip_signed_byte(pdf: bytes) -> bytes:
    """One byte changed inside the range the signature covers (a digit of the page size)."""
    start, length = map(int, re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)", pdf).groups())
    position = pdf.index(b"595", start, start + length)
    return pdf[:position] + b"6" + pdf[position + 1 :]


def rotate_first_page(pdf: bytes) -> bytes:
    """An incremental update after the seal, as an editing tool would append it."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Rotate"] = generic.NumberObject(90)
    writer.update_container(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_a_sealed_pdf_is_sealed_intact_and_by_this_instance(db):
    sealed = seal_pdf(make_pdf(3))
    verdict = verify_sealed_pdf(sealed)
    assert (verdict.sealed, verdict.intact, verdict.by_this_instance, verdict.problem) == (True, True, True, "")
    assert "Paraph signing (paraph.example)" in verdict.signer_subject
    assert abs(verdict.signed_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert b"/ParaphSeal" in sealed or b"(ParaphSeal)" in sealed


def test_changing_one_byte_in_the_signed_range_breaks_the_seal(db):
    verdict = verify_sealed_pdf(flip_signed_byte(seal_pdf(make_pdf(2))))
    assert (verdict.sealed, verdict.intact, verdict.by_this_instance) == (True, False, True)
    assert verdict.problem == sealing.CHANGED


def test_an_incremental_update_that_changes_a_page_breaks_the_seal(db):
    verdict = verify_sealed_pdf(rotate_first_page(seal_pdf(make_pdf(2))))
    assert (verdict.sealed, verdict.intact, verdict.by_this_instance) == (True, False, True)


def test_bytes_appended_after_the_seal_break_it(db):
    verdict = verify_sealed_pdf(seal_pdf(make_pdf(1)) + b"\n%% appended\n")
    assert verdict.sealed and not verdict.intact


def test_a_pdf_without_a_signature_is_not_sealed(db):
    verdict = verify_sealed_pdf(make_pdf(1))
    assert (verdict.sealed, verdict.intact, verdict.by_this_instance) == (False, False, False)
    assert verdict.problem == sealing.NO_SEAL


@pytest.mark.parametrize(
    "content,problem",
    [
        (b"", sealing.NOT_A_PDF),
        (b"PK\x03\x04 a zip file", sealing.NOT_A_PDF),
        (b"%PDF-1.7\n garbage that is no PDF at all", sealing.UNREADABLE),
        (make_pdf(1)[:200], sealing.UNREADABLE),
    ],
    ids=["empty", "zip", "garbage", "truncated"],
)
def test_a_file_that_is_not_a_readable_pdf_is_not_sealed_and_raises_nothing(db, content, problem):
    verdict = verify_sealed_pdf(content)
    assert not verdict.sealed and verdict.problem == problem


def test_a_pdf_sealed_with_another_certificate_is_not_by_this_instance(db, settings, tmp_path):
    settings.SIGNING_CERT_FILE, _ = certificate_file(tmp_path)
    sealed_elsewhere = seal_pdf(make_pdf(1))
    settings.SIGNING_CERT_FILE = ""
    verdict = verify_sealed_pdf(sealed_elsewhere)
    assert (verdict.sealed, verdict.intact, verdict.by_this_instance) == (True, True, False)
    assert verdict.problem == sealing.NOT_OURS and "Acme seal" in verdict.signer_subject


def test_checking_a_pdf_does_not_make_an_identity(db):
    verify_sealed_pdf(make_pdf(1))
    assert not SealingIdentity.objects.exists()


def test_the_identity_is_made_once_and_then_reused(db):
    first = sealing_identity()
    assert sealing_identity() is first
    reset_sealing_cache()
    again = sealing_identity()
    assert again is not first and again.fingerprint_sha256 == first.fingerprint_sha256
    assert SealingIdentity.objects.count() == 1


def test_a_loaded_identity_is_not_decrypted_again(db, monkeypatch):
    sealing_identity()
    monkeypatch.setattr(sealing, "decrypt", lambda token: pytest.fail("decrypted again"))
    seal_pdf(make_pdf(1))


def test_the_stored_identity_is_an_encrypted_pkcs12_of_a_ten_year_seal_certificate(db):
    identity = sealing_identity()
    row = SealingIdentity.objects.get()
    stored = bytes(row.pkcs12_encrypted)
    key, certificate, _ = pkcs12.load_key_and_certificates(decrypt(stored), None)
    private = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert b"PRIVATE KEY" not in stored and private not in stored and private[-32:] not in stored
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Paraph signing (paraph.example)"
    assert certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Paraph"
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert timedelta(days=3650) <= lifetime <= timedelta(days=3655)
    assert row.fingerprint_sha256 == certificate.fingerprint(hashes.SHA256()).hex() == identity.fingerprint_sha256
    assert row.not_after == certificate.not_valid_after_utc and "Paraph signing" in row.subject


def test_a_configured_certificate_file_is_used_instead_of_the_stored_identity(db, settings, tmp_path):
    settings.SIGNING_CERT_FILE, certificate = certificate_file(tmp_path, password="s3cret")
    settings.SIGNING_CERT_PASSWORD = "s3cret"
    assert sealing_identity().fingerprint_sha256 == certificate.fingerprint(hashes.SHA256()).hex()
    verdict = verify_sealed_pdf(seal_pdf(make_pdf(1)))
    assert verdict.sealed and verdict.intact and verdict.by_this_instance
    assert "Acme seal" in verdict.signer_subject
    assert not SealingIdentity.objects.exists()


@pytest.mark.parametrize("password,exists", [("wrong", True), ("s3cret", False)])
def test_an_unusable_certificate_file_is_reported_to_the_operator(db, settings, tmp_path, password, exists):
    path, _ = certificate_file(tmp_path, password="s3cret")
    settings.SIGNING_CERT_FILE = path if exists else str(tmp_path / "missing.p12")
    settings.SIGNING_CERT_PASSWORD = password
    with pytest.raises(ImproperlyConfigured, match="SIGNING_CERT_FILE"):
        seal_pdf(make_pdf(1))


@pytest.mark.django_db(transaction=True)
def test_two_workers_making_the_identity_at_once_end_with_one(monkeypatch):
    make = sealing._new_identity

    def slow_new_identity():
        time.sleep(0.3)  # long enough for the other worker to arrive while this one is making it
        return make()

    monkeypatch.setattr(sealing, "_new_identity", slow_new_identity)
    start = threading.Barrier(2)
    fingerprints, errors = [], []

    def worker():
        try:
            start.wait()
            fingerprints.append(sealing_identity().fingerprint_sha256)
        except Exception as exc:  # noqa: BLE001 — reported below, in the test's own thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert SealingIdentity.objects.count() == 1
    assert len(fingerprints) == 2 and len(set(fingerprints)) == 1


# --- manage.py verify_pdf ------------------------------------------------------------------------


def stored_request(sealed: bytes, title: str = "Lease for Flat 3") -> SigningRequest:
    sha256 = hashlib.sha256(sealed).hexdigest()
    return SigningRequest.objects.create(envelope_ref="env-1", title=title, sealed_sha256=sha256)


def test_verify_pdf_succeeds_for_a_sealed_unchanged_stored_file(db, tmp_path, capsys):
    sealed = seal_pdf(make_pdf(1))
    stored_request(sealed)
    path = tmp_path / "lease.pdf"
    path.write_bytes(sealed)
    call_command("verify_pdf", str(path))
    output = capsys.readouterr().out
    assert "Sealed by this Paraph: yes" in output and "Unchanged since:       yes" in output
    assert "Paraph signing (paraph.example)" in output and "Lease for Flat 3" in output


@pytest.mark.parametrize(
    "change,stored,message",
    [
        (lambda sealed: sealed, False, "Paraph stored no sealed file"),
        (flip_signed_byte, True, "changed after it was sealed"),
        (lambda sealed: make_pdf(1), False, "no digital seal"),
    ],
    ids=["sealed-but-not-stored", "changed", "not-sealed"],
)
def test_verify_pdf_fails_unless_sealed_unchanged_and_stored(db, tmp_path, change, stored, message):
    sealed = seal_pdf(make_pdf(1))
    if stored:
        stored_request(sealed)
    path = tmp_path / "file.pdf"
    path.write_bytes(change(sealed))
    with pytest.raises(CommandError, match=message) as failure:
        call_command("verify_pdf", str(path))
    assert failure.value.returncode == 1


def test_verify_pdf_reports_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("verify_pdf", str(tmp_path / "nowhere.pdf"))


def test_sealing_works_where_an_event_loop_is_already_running():
    """An ASGI server or in-process async code has a running loop; pyHanko's asyncio.run must not
    be called on top of it."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from providers.builtin.sealing import _outside_event_loop

    async def inside():
        return _outside_event_loop(lambda: asyncio.run(asyncio.sleep(0, result=b"sealed")))

    # In a thread of its own, so that whatever loop the test process runs does not interfere.
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(lambda: asyncio.run(inside())).result() == b"sealed"
