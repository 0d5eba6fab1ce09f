"""The completed PDF of the built-in provider: the documents with each signature stamped on its page,
signature pages for signatures placed on no page, and a certificate of completion at the end.

reportlab draws everything new into one PDF (an overlay page per stamped page, then the appended
pages), so fonts and signature images are embedded once; pypdf concatenates the documents and lays
each overlay over its page.
"""

from __future__ import annotations

import io
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.errors import PyPdfError
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from providers.builtin.signatures import plain_font_paths


@dataclass(frozen=True)
class Stamp:
    signer_name: str
    image_png: bytes
    signed_at: datetime
    document_index: int | None  # index into final_pdf's documents; None: on the appended signature page
    page: int | None = None  # 1-based page of that document
    x: float = 0  # PDF points from the bottom-left corner
    y: float = 0
    width: float = 180
    height: float = 60


@dataclass(frozen=True)
class CertificateEntry:
    name: str
    email: str
    role: str  # "Signer" | "Approver" | "Viewer"
    action: str  # "Signed" | "Approved" | "Viewed" | "Declined"
    authentication: str  # human label, e.g. "E-mail code" or "None"
    ip: str
    user_agent: str
    invited_at: datetime | None
    opened_at: datetime | None
    signed_at: datetime | None


@dataclass(frozen=True)
class Certificate:
    envelope_id: str
    title: str
    documents: tuple[tuple[str, str], ...]  # (name, sha256 of the original)
    participants: tuple[CertificateEntry, ...]
    audit_head: str  # sha256 head of the envelope's audit trail
    completed_at: datetime
    issuer: str  # e.g. the instance's SITE_URL
    # Which event that head is, in words and time ("Signed (participant.signed), … UTC"): events
    # recorded after sealing (Completed) follow it, so an auditor needs to know where to look.
    audit_head_event: str = ""


SANS = "ParaphSans"
SANS_BOLD = "ParaphSans-Bold"
INK = (0.1, 0.12, 0.2)
MUTED = (0.36, 0.39, 0.46)
MARGIN = 56
CONTENT_WIDTH = A4[0] - 2 * MARGIN
# Stamp captions: two lines of small text under the signature.
CAPTION_SIZE = 6.5
CAPTION_LEADING = 7.5
CAPTION_BAND = 2 * CAPTION_LEADING + 2
CAPTION_MIN_WIDTH = 140
# Signature pages: one block per signature.
BLOCK_HEIGHT = 96
BLOCK_IMAGE = (220, 64)
LABEL_WIDTH = 150


@dataclass(frozen=True)
class _Frame:
    """A page as a reader shows it: its visible size after rotation, and the matrix that maps that
    view onto the page's own coordinates."""

    width: float
    height: float
    ctm: tuple[float, float, float, float, float, float]


def final_pdf(documents: list[bytes], stamps: list[Stamp], certificate: Certificate) -> bytes:
    """The documents in order with every stamp drawn on its page, then signature page(s) for the
    stamps placed on no page, then the certificate of completion. Returns the PDF bytes; raises
    ValueError when a document cannot be read or a stamp names a page that does not exist."""
    writer = PdfWriter()
    spans = _append_documents(writer, documents)
    on_pages = _stamps_by_page(spans, stamps)
    frames = {index: _frame(writer.pages[index]) for index in on_pages}
    loose = [stamp for stamp in stamps if stamp.document_index is None]
    drawn = PdfReader(io.BytesIO(_drawing(frames, on_pages, loose, certificate)))
    for position, index in enumerate(on_pages):
        writer.pages[index].merge_transformed_page(drawn.pages[position], Transformation(frames[index].ctm))
    for page in drawn.pages[len(on_pages) :]:
        writer.add_page(page)
    writer.add_metadata({"/Title": certificate.title, "/Producer": "Paraph"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _append_documents(writer: PdfWriter, documents: list[bytes]) -> list[tuple[int, int]]:
    """Appends each document; returns (index of its first page, its page count) for each."""
    spans = []
    for number, data in enumerate(documents, start=1):
        start = len(writer.pages)
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise ValueError(f"Document {number} is protected with a password.")
            writer.append(reader)
        except PyPdfError as exc:
            raise ValueError(f"Document {number} cannot be read as a PDF.") from exc
        spans.append((start, len(writer.pages) - start))
    return spans


def _stamps_by_page(spans: list[tuple[int, int]], stamps: list[Stamp]) -> dict[int, list[Stamp]]:
    """The stamps placed on document pages, by the page's index in the combined PDF."""
    pages: dict[int, list[Stamp]] = defaultdict(list)
    for stamp in stamps:
        if stamp.document_index is None:
            continue
        if not 0 <= stamp.document_index < len(spans):
            raise ValueError(f"There is no document {stamp.document_index} for {stamp.signer_name}'s signature.")
        start, count = spans[stamp.document_index]
        if stamp.page is None or not 1 <= stamp.page <= count:
            raise ValueError(f"Document {stamp.document_index} has no page {stamp.page} for {stamp.signer_name}.")
        pages[start + stamp.page - 1].append(stamp)
    return dict(pages)


def _frame(page: PageObject) -> _Frame:
    # Stamp positions come from the page as shown (what the signer saw): the crop box, turned by
    # /Rotate clockwise. The matrix takes a point of that view back into unrotated page space.
    box = page.cropbox
    left, bottom, width, height = float(box.left), float(box.bottom), float(box.width), float(box.height)
    rotation = page.rotation % 360
    if rotation == 90:
        return _Frame(height, width, (0, 1, -1, 0, left + width, bottom))
    if rotation == 180:
        return _Frame(width, height, (-1, 0, 0, -1, left + width, bottom + height))
    if rotation == 270:
        return _Frame(height, width, (0, -1, 1, 0, left, bottom + height))
    return _Frame(width, height, (1, 0, 0, 1, left, bottom))


def _drawing(
    frames: dict[int, _Frame], on_pages: dict[int, list[Stamp]], loose: list[Stamp], certificate: Certificate
) -> bytes:
    """One PDF: an overlay per stamped page (in on_pages order), then the pages to append."""
    _register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    images = _ImageCache()
    for index, page_stamps in on_pages.items():
        frame = frames[index]
        canvas.setPageSize((frame.width, frame.height))
        for stamp in page_stamps:
            _draw_stamp(canvas, stamp, frame, images)
        canvas.showPage()
    canvas.setPageSize(A4)
    if loose:
        _draw_signature_pages(canvas, loose, certificate, images)
    _draw_certificate(canvas, certificate)
    canvas.save()
    return buffer.getvalue()


class _ImageCache:
    """Decodes each signature PNG once, however many pages it is stamped on."""

    def __init__(self) -> None:
        self._readers: dict[bytes, ImageReader] = {}

    def __call__(self, png: bytes) -> ImageReader:
        if png not in self._readers:
            self._readers[png] = ImageReader(io.BytesIO(png))
        return self._readers[png]


def _draw_stamp(canvas: Canvas, stamp: Stamp, frame: _Frame, images: _ImageCache) -> None:
    # Kept inside the page, so a box dragged to an edge still shows in full.
    width, height = min(stamp.width, frame.width), min(stamp.height, frame.height)
    x = min(max(stamp.x, 0), frame.width - width)
    y = min(max(stamp.y, 0), frame.height - height)
    image_bottom, image_height, caption_top = y, height, y - 1
    if caption_top - CAPTION_BAND < 0:
        # No room under the box at the page's foot: the caption goes inside the box.
        image_bottom, image_height, caption_top = y + CAPTION_BAND, max(height - CAPTION_BAND, 1), y + CAPTION_BAND
    _draw_fitted(canvas, images(stamp.image_png), x, image_bottom, width, image_height)
    caption_width = min(max(width, CAPTION_MIN_WIDTH), frame.width - x)
    canvas.setFillColorRGB(*MUTED)
    canvas.setFont(SANS, CAPTION_SIZE)
    for number, line in enumerate([stamp.signer_name, f"Signed {_utc(stamp.signed_at, seconds=False)}"], start=1):
        canvas.drawString(x, caption_top - number * CAPTION_LEADING, _fit(line, SANS, CAPTION_SIZE, caption_width))


def _draw_fitted(canvas: Canvas, image: ImageReader, x: float, y: float, width: float, height: float) -> None:
    """The image as large as fits the box, aspect kept, sitting on the box's bottom-left corner."""
    image_width, image_height = image.getSize()
    scale = min(width / image_width, height / image_height)
    canvas.drawImage(image, x, y, image_width * scale, image_height * scale, mask="auto")


def _draw_signature_pages(canvas: Canvas, stamps: list[Stamp], certificate: Certificate, images: _ImageCache) -> None:
    flow = _Flow(canvas, "Signatures", certificate.title)
    image_width, image_height = BLOCK_IMAGE
    text_x = MARGIN + image_width + 24
    for stamp in stamps:
        flow.room(BLOCK_HEIGHT)
        top = flow.y
        _draw_fitted(canvas, images(stamp.image_png), MARGIN, top - image_height - 8, image_width, image_height)
        canvas.setStrokeColorRGB(*MUTED)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, top - image_height - 10, MARGIN + image_width, top - image_height - 10)
        canvas.setFillColorRGB(*INK)
        canvas.setFont(SANS_BOLD, 11)
        canvas.drawString(text_x, top - 36, _fit(stamp.signer_name, SANS_BOLD, 11, MARGIN + CONTENT_WIDTH - text_x))
        canvas.setFillColorRGB(*MUTED)
        canvas.setFont(SANS, 9)
        canvas.drawString(text_x, top - 52, f"Signed {_utc(stamp.signed_at)}")
        flow.y = top - BLOCK_HEIGHT
    flow.finish()


def _draw_certificate(canvas: Canvas, certificate: Certificate) -> None:
    flow = _Flow(canvas, "Certificate of completion", certificate.title)
    flow.field("Envelope", certificate.title)
    flow.field("Envelope ID", certificate.envelope_id)
    flow.field("Completed", _utc(certificate.completed_at))
    flow.field("Issued by", certificate.issuer)
    flow.field("Audit trail head (SHA-256)", certificate.audit_head, size=8)
    if certificate.audit_head_event:
        flow.field("Head event", certificate.audit_head_event)
        flow.text(
            "The hash of the newest audit trail event when this seal was made. Events recorded afterwards, "
            "such as Completed, follow it; the envelope's audit trail marks this event as the sealing point.",
            size=8,
            color=MUTED,
        )
    flow.section("Documents")
    for number, (name, sha256) in enumerate(certificate.documents, start=1):
        flow.room(30)
        flow.text(f"{number}. {name}", font=SANS_BOLD)
        flow.field("SHA-256 of the original", sha256, size=8)
    flow.section("Participants")
    for entry in certificate.participants:
        _participant(flow, entry)
    flow.space(6)
    flow.text("All times are UTC. This page is covered by the PDF's digital seal.", size=8, color=MUTED)
    flow.finish()


def _participant(flow: _Flow, entry: CertificateEntry) -> None:
    flow.room(90)  # keep a participant's first lines together
    flow.text(f"{entry.name} <{entry.email}>", font=SANS_BOLD)
    flow.field("Role and action", f"{entry.role} · {entry.action}", size=8)
    flow.field("Authentication", entry.authentication, size=8)
    flow.field("Invited", _utc(entry.invited_at), size=8)
    flow.field("Opened", _utc(entry.opened_at), size=8)
    if entry.signed_at is not None:
        flow.field(entry.action, _utc(entry.signed_at), size=8)
    flow.field("IP address", entry.ip or "—", size=8)
    flow.field("Browser", entry.user_agent or "—", size=8)
    flow.space(8)


class _Flow:
    """Writes top-down on A4 pages, starting another page under the same heading when one is full."""

    def __init__(self, canvas: Canvas, heading: str, subtitle: str) -> None:
        self.canvas, self.heading, self.subtitle = canvas, heading, subtitle
        self.y = 0.0
        self._start(continued=False)

    def _start(self, *, continued: bool) -> None:
        self.y = A4[1] - MARGIN
        self.text(f"{self.heading} (continued)" if continued else self.heading, font=SANS_BOLD, size=18)
        self.text(self.subtitle, size=10, color=MUTED)
        self.space(14)

    def room(self, height: float) -> None:
        """Starts a new page unless `height` points still fit on this one."""
        if self.y - height < MARGIN:
            self.canvas.showPage()
            self._start(continued=True)

    def space(self, height: float) -> None:
        self.y -= height

    def section(self, title: str) -> None:
        self.room(60)
        self.space(10)
        self.text(title, font=SANS_BOLD, size=12)
        self.space(4)

    def text(self, text: str, *, font: str = SANS, size: float = 9, color: tuple = INK, indent: float = 0) -> None:
        for line in _wrap(text, font, size, CONTENT_WIDTH - indent):
            self._line(MARGIN + indent, line, font, size, color)

    def field(self, label: str, value: str, *, size: float = 9) -> None:
        """`label` in a narrow column on the left, `value` wrapped beside it."""
        for number, line in enumerate(_wrap(value, SANS, size, CONTENT_WIDTH - LABEL_WIDTH)):
            if number == 0:
                self.room(size * 1.4)
                self.canvas.setFillColorRGB(*MUTED)
                self.canvas.setFont(SANS, size)
                self.canvas.drawString(MARGIN, self.y - size * 1.1, _fit(label, SANS, size, LABEL_WIDTH - 8))
            self._line(MARGIN + LABEL_WIDTH, line, SANS, size, INK)

    def _line(self, x: float, line: str, font: str, size: float, color: tuple) -> None:
        leading = size * 1.4
        self.room(leading)
        self.y -= leading
        self.canvas.setFillColorRGB(*color)
        self.canvas.setFont(font, size)
        self.canvas.drawString(x, self.y + size * 0.3, line)

    def finish(self) -> None:
        self.canvas.showPage()


def _utc(moment: datetime | None, *, seconds: bool = True) -> str:
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")


def _printable(text: str) -> str:
    return "".join(" " if unicodedata.category(character) in ("Cc", "Cf") else character for character in text)


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of `text` no wider than `width`, broken at spaces, or inside a word too long for a line."""
    lines, current = [], ""
    for word in _printable(text).split():
        for piece in _pieces(word, font, size, width):
            candidate = f"{current} {piece}" if current else piece
            if current and pdfmetrics.stringWidth(candidate, font, size) > width:
                lines.append(current)
                candidate = piece
            current = candidate
    lines.append(current)
    return lines


def _pieces(word: str, font: str, size: float, width: float) -> list[str]:
    # Hashes and user agents carry long unbroken tokens.
    if pdfmetrics.stringWidth(word, font, size) <= width:
        return [word]
    pieces, current = [], ""
    for character in word:
        if current and pdfmetrics.stringWidth(current + character, font, size) > width:
            pieces.append(current)
            current = ""
        current += character
    pieces.append(current)
    return pieces


def _fit(text: str, font: str, size: float, width: float) -> str:
    """`text` on one line, shortened with an ellipsis when it is wider than `width`."""
    text = " ".join(_printable(text).split())
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


@cache
def _register_fonts() -> None:
    # Embedded TrueType rather than the standard Helvetica: names are not all Latin-1.
    regular, bold = plain_font_paths()
    pdfmetrics.registerFont(TTFont(SANS, str(regular)))
    pdfmetrics.registerFont(TTFont(SANS_BOLD, str(bold)))
