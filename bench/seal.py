"""Sealing budget (DESIGN.md › Performance budgets): a 20-page PDF with 10 signatures stamped and a
certificate of 10 participants goes through final_pdf + seal_pdf in at most 2 s. `make bench`.

The seal uses a throw-away certificate file (SIGNING_CERT_FILE), so the bench never writes to the
instance's database; loading the identity from the database row costs one small query besides.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 2.0
PAGES = 20
STAMPS = 10
PARTICIPANTS = 10
RUNS = 5


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from django.test import override_settings

    with tempfile.TemporaryDirectory() as folder:
        certificate_file = Path(folder) / "seal.p12"
        certificate_file.write_bytes(_pkcs12())
        with override_settings(SIGNING_CERT_FILE=str(certificate_file), SIGNING_CERT_PASSWORD=""):
            timings = _measure()
    total = [final + seal for final, seal in timings]
    median, worst = statistics.median(total), max(total)
    print(f"final_pdf + seal_pdf, {PAGES} pages, {STAMPS} stamps, {PARTICIPANTS} participants, {RUNS} runs")
    print(f"  final_pdf median {statistics.median(t[0] for t in timings):.3f} s")
    print(f"  seal_pdf  median {statistics.median(t[1] for t in timings):.3f} s")
    print(f"  total     median {median:.3f} s, max {worst:.3f} s")
    print(f"budget {BUDGET_SECONDS} s: {'OK' if worst <= BUDGET_SECONDS else 'OVER'}")


def _measure() -> list[tuple[float, float]]:
    from providers.builtin.pdf import final_pdf
    from providers.builtin.sealing import seal_pdf

    document, stamps, certificate = _document(), _stamps(), _certificate()
    timings = []
    for run in range(RUNS + 1):  # the first run warms up fonts, the identity cache and imports
        started = time.perf_counter()
        combined = final_pdf([document], stamps, certificate)
        drawn = time.perf_counter()
        seal_pdf(combined)
        if run:
            timings.append((drawn - started, time.perf_counter() - drawn))
    return timings


def _document() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    for page in range(1, PAGES + 1):
        canvas.setFont("Helvetica-Bold", 14)
        canvas.drawString(56, 780, f"Service agreement — page {page} of {PAGES}")
        canvas.setFont("Helvetica", 10)
        for line in range(55):
            canvas.drawString(56, 750 - line * 12.5, f"{page}.{line + 1} The parties agree that clause {line} applies.")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _stamps() -> list:
    from providers.builtin.pdf import Stamp
    from providers.builtin.signatures import typed_signature_png

    signed_at = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
    return [
        Stamp(f"Signer Number{n}", typed_signature_png(f"Signer Number{n}"), signed_at, 0, page=1 + n * 2, x=300, y=80)
        for n in range(STAMPS)
    ]


def _certificate():
    from providers.builtin.pdf import Certificate, CertificateEntry

    moment = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
    participants = tuple(
        CertificateEntry(
            f"Signer Number{n}",
            f"signer{n}@example.com",
            "Signer",
            "Signed",
            "E-mail code",
            "203.0.113.7",
            agent,
            moment,
            moment + timedelta(minutes=n),
            moment + timedelta(minutes=n + 1),
        )
        for n in range(PARTICIPANTS)
    )
    return Certificate(
        "env-bench",
        "Service agreement",
        (("agreement.pdf", "0" * 64),),
        participants,
        "f" * 64,
        moment + timedelta(hours=1),
        "https://paraph.example",
    )


def _pkcs12() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12

    from providers.builtin.sealing import self_signed_certificate

    key = ec.generate_private_key(ec.SECP256R1())
    certificate = self_signed_certificate(key, common_name="Paraph bench", days=30)
    return pkcs12.serialize_key_and_certificates(b"bench", key, certificate, None, serialization.NoEncryption())


if __name__ == "__main__":
    main()
