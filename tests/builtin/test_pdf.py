"""The completed PDF: documents with stamps on their pages, signature pages, certificate of completion."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import RectangleObject

from providers.builtin.pdf import Certificate, CertificateEntry, Stamp, final_pdf
from providers.builtin.signatures import typed_signature_png
from tests.envelopes.pdfs import make_pdf

SIGNED_AT = datetime(2026, 5, 4, 11, 30, 15, tzinfo=timezone(timedelta(hours=2)))  # 09:30:15 UTC
USER_AGENT = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15 ExtraLongTokenWithoutAnySpaces" + "x" * 120
)


def entry(name: str = "Ada Lovelace", email: str = "ada@example.com", **changes) -> CertificateEntry:
    fields = {
        "name": name,
        "email": email,
        "role": "Signer",
        "action": "Signed",
        "authentication": "E-mail code",
        "ip": "203.0.113.9",
        "user_agent": USER_AGENT,
        "invited_at": SIGNED_AT - timedelta(days=1),
        "opened_at": SIGNED_AT - timedelta(hours=1),
        "signed_at": SIGNED_AT,
    }
    return CertificateEntry(**(fields | changes))


def certificate(participants: int | tuple[CertificateEntry, ...] = 2, **changes) -> Certificate:
    if isinstance(participants, int):
        participants = tuple(entry(f"Person {n}", f"person{n}@example.com") for n in range(participants))
    fields = {
        "envelope_id": "env-42",
        "title": "Lease for Flat 3",
        "documents": (("lease.pdf", "a1" * 32), ("annex.pdf", "b2" * 32)),
        "participants": participants,
        "audit_head": "c3" * 32,
        "completed_at": SIGNED_AT,
        "issuer": "https://paraph.example",
    }
    return Certificate(**(fields | changes))


def stamp(name: str = "Ada Lovelace", document_index: int | None = 0, page: int | None = 1, **place) -> Stamp:
    return Stamp(name, typed_signature_png(name), SIGNED_AT, document_index, page, **place)


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def ink_box(pdf: bytes, index: int) -> tuple[tuple[int, int], tuple[int, int, int, int] | None]:
    """(size, bounding box of dark pixels) of page `index` as a reader shows it, 1 pixel per point."""
    document = pdfium.PdfDocument(pdf)
    try:
        image = document[index].render(scale=1).to_pil().convert("L")
    finally:
        document.close()
    return image.size, image.point(lambda level: 255 if level < 128 else 0).getbbox()


def rotated_pdf(rotation: int, width: float = 595, height: float = 842) -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(width=width, height=height)
    page.rotation = rotation
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_final_pdf_is_the_documents_then_a_signature_page_then_the_certificate():
    stamps = [stamp(document_index=1, page=2), stamp("Grace Hopper", document_index=None, page=None)]
    pdf = final_pdf([make_pdf(2), make_pdf(3)], stamps, certificate())
    text = pages_text(pdf)
    assert len(text) == 2 + 3 + 1 + 1
    assert text[5].startswith("Signatures") and "Grace Hopper" in text[5] and "Ada Lovelace" not in text[5]
    assert text[6].startswith("Certificate of completion")


def test_without_signatures_off_the_page_there_is_no_signature_page():
    pdf = final_pdf([make_pdf(2)], [stamp(page=2)], certificate())
    text = pages_text(pdf)
    assert len(text) == 3 and "Signatures" not in text[2]


def test_a_stamp_shows_its_image_name_and_utc_time_on_its_page_only():
    pdf = final_pdf([make_pdf(2), make_pdf(3)], [stamp(document_index=1, page=2, x=300, y=200)], certificate())
    text = pages_text(pdf)
    assert "Ada Lovelace" in text[3] and "Signed 2026-05-04 09:30 UTC" in text[3]
    assert not any("Ada Lovelace" in page for page in text[:3] + text[4:5])
    reader = PdfReader(io.BytesIO(pdf))
    images = reader.pages[3]["/Resources"]["/XObject"]
    assert any(image.get_object()["/Subtype"] == "/Image" for image in images.values())
    assert "/XObject" not in reader.pages[0].get("/Resources", {})


def test_signatures_off_the_page_continue_on_more_signature_pages():
    names = [f"Signer {n}" for n in range(12)]
    stamps = [stamp(name, document_index=None, page=None) for name in names]
    text = pages_text(final_pdf([make_pdf(1)], stamps, certificate()))
    signature_pages = [page for page in text if page.startswith("Signatures")]
    assert len(signature_pages) == 2 and signature_pages[1].startswith("Signatures (continued)")
    assert all(any(name in page for page in signature_pages) for name in names)


def test_the_certificate_lists_the_envelope_documents_audit_head_and_everyone():
    people = (
        entry("Ada Lovelace", "ada@example.com"),
        entry("Ben Approver", "ben@example.com", role="Approver", action="Approved", authentication="None"),
        entry("Cy Viewer", "cy@example.com", role="Viewer", action="Viewed", signed_at=None),
    )
    text = pages_text(final_pdf([make_pdf(1)], [stamp()], certificate(participants=people)))[-1]
    for expected in [
        "Certificate of completion",
        "Lease for Flat 3",
        "env-42",
        "https://paraph.example",
        "lease.pdf",
        "a1" * 32,
        "annex.pdf",
        "b2" * 32,
        "c3" * 32,
        "ada@example.com",
        "Approver · Approved",
        "Viewer · Viewed",
        "E-mail code",
        "203.0.113.9",
        "2026-05-04 09:30:15 UTC",
        "2026-05-03 09:30:15 UTC",
    ]:
        assert expected in text, expected


def test_a_long_certificate_continues_on_more_pages_with_user_agents_wrapped():
    pdf = final_pdf([make_pdf(1)], [], certificate(participants=10))
    text = pages_text(pdf)
    certificate_pages = [page for page in text if page.startswith("Certificate of completion")]
    assert len(certificate_pages) >= 2 and len(text) == 1 + len(certificate_pages)
    joined = "\n".join(certificate_pages)
    assert all(f"person{n}@example.com" in joined for n in range(10))
    # Wrapped onto several lines, yet nothing of it lost.
    assert USER_AGENT not in joined and USER_AGENT.replace(" ", "") in joined.replace("\n", "").replace(" ", "")


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_a_stamp_on_a_rotated_page_sits_where_the_signer_placed_it(rotation):
    # 30 pt from the left and 40 pt from the bottom of the page as the signer saw it.
    pdf = final_pdf([rotated_pdf(rotation)], [stamp(x=30, y=40)], certificate())
    (width, height), box = ink_box(pdf, 0)
    assert (width > height) == (rotation in (90, 270))
    left, top, right, bottom = box
    assert 25 <= left <= 40 and right < 240
    assert height - bottom >= 40 - 22 and height - top <= 40 + 62


def test_a_stamp_on_a_small_cropped_page_is_placed_inside_the_visible_area():
    writer = PdfWriter()
    page = writer.add_blank_page(width=500, height=400)
    page.cropbox = RectangleObject([100, 50, 400, 250])  # 300 × 200 visible, offset from the origin
    buffer = io.BytesIO()
    writer.write(buffer)
    pdf = final_pdf([buffer.getvalue()], [stamp(x=10, y=150, width=120, height=40)], certificate())
    (width, height), box = ink_box(pdf, 0)
    assert (width, height) == (300, 200)
    left, top, right, bottom = box
    assert 5 <= left <= 20 and top >= 200 - 150 - 45 and bottom <= 200 - 150 + 20


def test_the_signature_image_keeps_its_aspect_in_a_tall_narrow_box():
    pdf = final_pdf([make_pdf(1)], [stamp(x=100, y=300, width=60, height=200)], certificate())
    _, (left, top, right, bottom) = ink_box(pdf, 0)
    # The wide signature is scaled to the box's width, not stretched to its height.
    assert right - left <= 140 and bottom - top < 60


@pytest.mark.parametrize("document_index,page", [(1, 1), (0, 3), (0, 0), (0, None)])
def test_a_stamp_for_a_page_that_does_not_exist_is_refused(document_index, page):
    with pytest.raises(ValueError):
        final_pdf([make_pdf(2)], [stamp(document_index=document_index, page=page)], certificate())


def test_a_password_protected_document_is_refused():
    with pytest.raises(ValueError, match="password"):
        final_pdf([make_pdf(1, password="secret")], [], certificate())


def test_naive_times_are_taken_as_utc():
    naive = datetime(2026, 1, 2, 3, 4, 5)
    text = pages_text(final_pdf([make_pdf(1)], [], certificate(completed_at=naive)))[-1]
    assert "2026-01-02 03:04:05 UTC" in text
