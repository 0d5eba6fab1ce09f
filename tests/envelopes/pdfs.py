"""PDFs made in the tests, so no binary fixtures are needed."""

from __future__ import annotations

import io

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
