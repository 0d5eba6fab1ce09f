"""Draws one PDF page as PNG in a process of its own, within a memory and CPU budget.

Run by portal.kernel.pdfpages as `python -m portal.kernel.pagedraw PATH PAGE WIDTH MAX_PIXELS
MEMORY_MB CPU_SECONDS`. Writes one JSON line (the page's size in points, or an error) and then
the PNG to stdout. A page that needs more memory or time than its budget makes this process fail,
and only this process: the caller reports it as too complex to show. Imports nothing from Django,
so it starts quickly.
"""

from __future__ import annotations

import io
import json
import resource
import sys

MB = 1024 * 1024
# A very tall page is drawn narrower, so one request cannot ask for a huge bitmap.
PAGE_MAX_HEIGHT_PER_WIDTH = 4


def _limit(memory_mb: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * MB, memory_mb * MB))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))


def _say(out, **facts) -> None:
    out.write(json.dumps(facts).encode() + b"\n")
    out.flush()


def draw(path: str, page: int, width: int, max_pixels: int, out) -> int:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError:
        _say(out, error="This document cannot be drawn.")
        return 3
    if not 1 <= page <= len(pdf):
        _say(out, error=f"The document has no page {page}.")
        return 3
    # The size is read without loading the page (loading parses its content, which is what can
    # blow the budget), and said first: the caller then knows it whatever happens next.
    page_width, page_height = pdf.get_page_size(page - 1)
    if page_width <= 0 or page_height <= 0:
        _say(out, error=f"Page {page} has no area to draw.")
        return 3
    _say(out, width_pt=page_width, height_pt=page_height)
    pdf_page = pdf[page - 1]
    scale = min(width / page_width, width * PAGE_MAX_HEIGHT_PER_WIDTH / page_height)
    scale = min(scale, (max_pixels / (page_width * page_height)) ** 0.5)
    image = pdf_page.render(scale=scale).to_pil()
    # PDFium rounds the size up, so a float a hair over `width` would add a column.
    if image.width > width:
        image = image.crop((0, 0, width, image.height))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    out.write(buffer.getvalue())
    out.flush()
    return 0


def main(argv: list[str]) -> int:
    path, page, width, max_pixels, memory_mb, cpu_seconds = argv
    _limit(int(memory_mb), int(cpu_seconds))
    return draw(path, int(page), int(width), int(max_pixels), sys.stdout.buffer)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
