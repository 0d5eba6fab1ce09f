"""Pages of a PDF drawn as PNG images, for previews and signing pages."""

from __future__ import annotations

import io
import os
import threading
from dataclasses import dataclass

import pypdfium2 as pdfium

PAGE_WIDTH_DEFAULT = 800
PAGE_WIDTH_MIN = 200
PAGE_WIDTH_MAX = 1600
# A very tall page is drawn narrower, so one request cannot ask for a huge bitmap.
PAGE_MAX_HEIGHT_PER_WIDTH = 4

# PDFium is not thread-safe; web servers with threads draw one page at a time.
_pdfium_lock = threading.Lock()


@dataclass(frozen=True)
class PageImage:
    png: bytes
    width_pt: float  # the page's own size in PDF points, to map a click back to page coordinates
    height_pt: float


def pdf_page_png(path: str | os.PathLike[str], page: int, width: int) -> PageImage:
    """Draws page `page` (1-based) of the PDF at `path` as a PNG about `width` pixels wide (very tall
    pages narrower). Returns the PNG bytes; raises ValueError when the PDF has no such page or cannot
    be drawn, FileNotFoundError when the file is missing."""
    with _pdfium_lock:
        try:
            pdf = pdfium.PdfDocument(path)
        except pdfium.PdfiumError as exc:
            raise ValueError("This document cannot be drawn.") from exc
        try:
            if not 1 <= page <= len(pdf):
                raise ValueError(f"The document has no page {page}.")
            pdf_page = pdf[page - 1]
            page_width, page_height = pdf_page.get_size()
            if page_width <= 0 or page_height <= 0:
                raise ValueError(f"Page {page} has no area to draw.")
            scale = min(width / page_width, width * PAGE_MAX_HEIGHT_PER_WIDTH / page_height)
            image = pdf_page.render(scale=scale).to_pil()
            # PDFium rounds the size up, so a float a hair over `width` would add a column.
            if image.width > width:
                image = image.crop((0, 0, width, image.height))
            buffer = io.BytesIO()
            image.save(buffer, format="PNG", optimize=False)
            return PageImage(buffer.getvalue(), page_width, page_height)
        finally:
            pdf.close()
