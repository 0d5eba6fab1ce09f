"""The instance's digital seal: a PAdES signature over the whole completed PDF, made with this Paraph's
own certificate, and the check that tells whether a PDF still carries that seal unchanged.

The certificate comes from SIGNING_CERT_FILE when configured, else from the one SealingIdentity row,
made on first use (self-signed) and kept encrypted with FIELD_ENCRYPTION_KEYS. Sealing is offline:
no timestamp server, and validation never fetches revocation information.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, SimpleSigner
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from portal.kernel.crypto import decrypt, encrypt
from providers.builtin.models import SealingIdentity, SigningRequest

SEAL_FIELD = "ParaphSeal"
SEAL_REASON = "Sealed by Paraph on completion"
CERTIFICATE_DAYS = 3652  # ten years
COMMON_NAME_MAX = 64  # X.520 upper bound
PDF_MAGIC = b"%PDF-"
# PDF readers accept the header anywhere in the first kilobyte.
PDF_HEADER_WINDOW = 1024

NOT_A_PDF = "This file is not a PDF."
UNREADABLE = "This PDF could not be read; it may be damaged."
NO_SEAL = "This PDF carries no digital seal."
DAMAGED_SEAL = "The seal in this PDF is damaged, so it no longer proves anything about the file."
CHANGED = "This PDF was changed after it was sealed: its content no longer matches the seal."
NOT_OURS = "This PDF is sealed, but not with this Paraph's certificate."


@dataclass(frozen=True)
class SealingKey:
    """What pyHanko signs with, and the certificate that identifies this instance."""

    signer: SimpleSigner
    certificate: asn1_x509.Certificate
    fingerprint_sha256: str


@dataclass(frozen=True)
class SealVerdict:
    sealed: bool
    intact: bool  # the signature is valid and covers the whole file: nothing changed or appended
    by_this_instance: bool  # signed with this instance's current certificate
    signer_subject: str
    signed_at: datetime | None
    sha256: str  # of the bytes checked
    problem: str  # a sentence for the user when not sealed by this instance and intact


def sealing_identity() -> SealingKey:
    """This instance's sealing key and certificate: from SIGNING_CERT_FILE when set, else from the
    SealingIdentity row, made on first use. Loaded once per process and file or row. Raises
    ImproperlyConfigured when the file cannot be opened, SecretUnreadable when the row cannot be
    decrypted with FIELD_ENCRYPTION_KEYS."""
    if settings.SIGNING_CERT_FILE:
        return _identity_from_file()
    return _identity_from_row(_identity_row() or _identity_create())


def reset_sealing_cache() -> None:
    """Forgets the loaded identity (tests; a process that changed settings)."""
    _loaded.clear()


def seal_pdf(pdf: bytes, *, reason: str = SEAL_REASON) -> bytes:
    """`pdf` with this instance's PAdES seal over the whole file, added as an incremental update.
    Returns the sealed PDF."""
    identity = sealing_identity()
    # Reference: pyHanko docs, Library guide › Signing functionality › "Signing a PDF file"
    # (PdfSignatureMetadata, PdfSigner.sign_pdf); SigSeedSubFilter.PADES without a timestamper
    # gives a PAdES B-B signature (ETSI EN 319 142-1).
    # A certification signature that allows no changes (DocMDP P=1): any later edit, even one that a
    # viewer would accept for an approval signature, breaks the seal.
    metadata = PdfSignatureMetadata(
        field_name=SEAL_FIELD,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    return _outside_event_loop(lambda: PdfSigner(metadata, signer=identity.signer).sign_pdf(writer).getvalue())


def _outside_event_loop(call: Callable[[], bytes]) -> bytes:
    """pyHanko signs through `asyncio.run`, which refuses to run where an event loop is already
    running in this thread (an ASGI server, or a task run in-process from async code); there the
    signing runs in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def verify_sealed_pdf(pdf: bytes) -> SealVerdict:
    """Whether `pdf` carries a seal, unchanged since sealing, made with this instance's certificate.
    Never raises for a bad file: `problem` says what is wrong in a sentence."""
    digest = hashlib.sha256(pdf).hexdigest()
    if PDF_MAGIC not in pdf[:PDF_HEADER_WINDOW]:
        return _not_sealed(digest, NOT_A_PDF)
    try:
        signatures = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    except Exception:  # noqa: BLE001 — any parser failure on an uploaded file means "cannot read"
        return _not_sealed(digest, UNREADABLE)
    if not signatures:
        return _not_sealed(digest, NO_SEAL)
    ours = [signature for signature in signatures if signature.field_name == SEAL_FIELD]
    return _verdict((ours or signatures)[-1], digest)


def sealed_request_titles(*, sha256: str) -> list[str]:
    """Titles of the signing requests whose stored sealed file has this SHA-256 (usually one)."""
    if not sha256:
        return []
    requests = SigningRequest.objects.filter(sealed_sha256=sha256).order_by("created_at")
    return list(requests.values_list("title", flat=True)[:5])


def _verdict(signature: EmbeddedPdfSignature, digest: str) -> SealVerdict:
    instance = _instance_identity()
    try:
        status = _validated(signature, instance)
    except Exception:  # noqa: BLE001 — a seal pyHanko cannot even evaluate is a verdict, not an error
        return SealVerdict(True, False, False, "", None, digest, DAMAGED_SEAL)
    certificate = status.signing_cert
    ours = instance is not None and hashlib.sha256(certificate.dump()).hexdigest() == instance.fingerprint_sha256
    intact = bool(status.intact and status.valid and status.coverage == SignatureCoverageLevel.ENTIRE_FILE)
    problem = "" if intact and ours else (CHANGED if not intact else NOT_OURS)
    return SealVerdict(
        sealed=True,
        intact=intact,
        by_this_instance=ours,
        signer_subject=certificate.subject.human_friendly,
        signed_at=status.signer_reported_dt,
        sha256=digest,
        problem=problem,
    )


def _validated(signature: EmbeddedPdfSignature, instance: SealingKey | None) -> PdfSignatureStatus:
    # Reference: pyHanko docs, Library guide › Validation functionality (validate_pdf_signature,
    # SignatureCoverageLevel); pyhanko-certvalidator ValidationContext: explicit trust_roots,
    # allow_fetching=False so no CRL/OCSP request ever leaves the machine.
    context = ValidationContext(
        trust_roots=[instance.certificate] if instance else [], allow_fetching=False, revocation_mode="soft-fail"
    )
    # Coverage of the whole file is what "unchanged" means here, so the slower diff analysis of
    # later revisions is not needed.
    return validate_pdf_signature(signature, context, skip_diff=True)


def _not_sealed(digest: str, problem: str) -> SealVerdict:
    return SealVerdict(False, False, False, "", None, digest, problem)


def _instance_identity() -> SealingKey | None:
    """The identity seals are recognised by; None while this instance has never made one (checking
    a file is no reason to make a key)."""
    if settings.SIGNING_CERT_FILE:
        return _identity_from_file()
    row = _identity_row()
    return _identity_from_row(row) if row is not None else None


# --- Loading, with an in-process cache ---------------------------------------------------------

_loaded: dict[tuple, SealingKey] = {}


def _cached(key: tuple, load: Callable[[], SealingKey]) -> SealingKey:
    found = _loaded.get(key)
    if found is None:
        found = load()
        _loaded.clear()  # only the current identity is worth keeping
        _loaded[key] = found
    return found


def _identity_from_file() -> SealingKey:
    path = Path(settings.SIGNING_CERT_FILE)
    password = settings.SIGNING_CERT_PASSWORD or ""
    try:
        stat = path.stat()
    except OSError as exc:
        raise ImproperlyConfigured(f"SIGNING_CERT_FILE {path} cannot be read ({exc.strerror}).") from exc
    # Size and modification time in the key: a replaced file is picked up without a restart.
    key = ("file", str(path), stat.st_mtime_ns, stat.st_size, password)
    return _cached(key, lambda: _load_pkcs12(path.read_bytes(), password.encode() or None, f"SIGNING_CERT_FILE {path}"))


def _identity_row() -> SealingIdentity | None:
    # The encrypted blob is fetched only when this process has not loaded this identity yet.
    return SealingIdentity.objects.defer("pkcs12_encrypted").order_by("id").first()


def _identity_from_row(row: SealingIdentity) -> SealingKey:
    # The fingerprint in the key: a row id reused after a rollback must not bring back another key.
    key = ("row", row.pk, row.fingerprint_sha256)
    return _cached(key, lambda: _load_pkcs12(decrypt(row.pkcs12_encrypted), None, "The stored sealing identity"))


def _load_pkcs12(data: bytes, passphrase: bytes | None, source: str) -> SealingKey:
    # Reference: pyHanko docs, Library guide › Signing functionality › "Signers"
    # (SimpleSigner.load_pkcs12_data).
    try:
        signer = SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=passphrase)
    except (ValueError, TypeError, AttributeError) as exc:  # a file without a key fails past the parse
        raise ImproperlyConfigured(f"{source} is not a PKCS#12 file with a key that opens with its password.") from exc
    certificate = signer.signing_cert
    return SealingKey(signer, certificate, hashlib.sha256(certificate.dump()).hexdigest())


# --- Making the instance's identity --------------------------------------------------------------


def _identity_create() -> SealingIdentity:
    """Makes the instance's identity unless another worker got there first; returns the one row."""
    with transaction.atomic():
        _lock_identities()
        existing = SealingIdentity.objects.order_by("id").first()
        if existing is not None:
            return existing
        return SealingIdentity.objects.create(**_new_identity())


def _lock_identities() -> None:
    # Workers that found no identity queue here, so only the first one makes it. PostgreSQL: a table
    # lock that conflicts with itself but not with plain reads. SQLite: Paraph opens transactions
    # with BEGIN IMMEDIATE (settings.py), which already holds the database's write lock.
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(SealingIdentity._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")  # noqa: S608 — our own table name


def _new_identity() -> dict:
    """Fields of a new SealingIdentity: a self-signed EC P-256 certificate for ten years."""
    key = ec.generate_private_key(ec.SECP256R1())
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    certificate = self_signed_certificate(key, common_name=f"Paraph signing ({host[: COMMON_NAME_MAX - 17]})")
    # Password-less inside: the Fernet encryption around it is what protects the key at rest.
    bundle = pkcs12.serialize_key_and_certificates(b"Paraph seal", key, certificate, None, serialization.NoEncryption())
    return {
        "pkcs12_encrypted": encrypt(bundle),
        "subject": certificate.subject.rfc4514_string(),
        "fingerprint_sha256": certificate.fingerprint(hashes.SHA256()).hex(),
        "not_after": certificate.not_valid_after_utc,
    }


def self_signed_certificate(
    key: ec.EllipticCurvePrivateKey, *, common_name: str, days: int = CERTIFICATE_DAYS
) -> x509.Certificate:
    """A self-signed certificate for sealing: the instance's own, and the ones tests and the bench make."""
    name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, common_name), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Paraph")]
    )
    now = timezone.now()
    seal_usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,  # nonRepudiation
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))  # a verifier whose clock is a little behind
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(seal_usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
