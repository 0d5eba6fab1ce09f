"""Pages of a PDF drawn as PNG images, for previews and signing pages.

Each page is drawn in a short-lived process of its own (portal.kernel.pagedraw) with a pixel,
memory and CPU budget. A page built to explode — a few hundred kilobytes that inflate to hundreds
of megabytes — spends that process's budget and nothing else: the web process holds no renderer
and no lock, so other previews go on meanwhile. What comes back, a picture or "too complex", is
cached, so reloading a page never draws it twice.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache

PAGE_WIDTH_DEFAULT = 800
PAGE_WIDTH_MIN = 200
PAGE_WIDTH_MAX = 1600
# The largest bitmap drawn, whatever the page's shape: an A4 page 1600 pixels wide fits.
MAX_PIXELS = 1600 * 2300
CPU_SECONDS = 5
WALL_SECONDS = 20
CACHE_SECONDS = 6 * 3600
TOO_COMPLEX = "This page is too complex to show."
_CODE_ROOT = Path(__file__).resolve().parents[2]  # the child runs this very checkout's code


@dataclass(frozen=True)
class PageImage:
    png: bytes
    width_pt: float  # the page's own size in PDF points, to map a click back to page coordinates
    height_pt: float
    too_complex: bool = False  # the PNG then only says so


def pdf_page_png(path: str | os.PathLike[str], page: int, width: int) -> PageImage:
    """Draws page `page` (1-based) of the PDF at `path` as a PNG about `width` pixels wide (very tall
    pages narrower). Returns a PageImage — for a page too costly to draw, one that says "This page
    is too complex to show." (too_complex=True); raises ValueError when the PDF has no such page or
    cannot be drawn at all, FileNotFoundError when the file is missing."""
    key = _cache_key(path, page, width)
    cached = cache.get(key)
    if cached is not None:
        return PageImage(*cached)
    image = _draw(path, page, width)
    cache.set(key, (image.png, image.width_pt, image.height_pt, image.too_complex), CACHE_SECONDS)
    return image


def _cache_key(path: str | os.PathLike[str], page: int, width: int) -> str:
    facts = os.stat(path)  # FileNotFoundError for a file that is gone, as promised
    identity = f"{os.fspath(path)}:{facts.st_size}:{facts.st_mtime_ns}".encode()
    return f"pdfpage:{hashlib.sha256(identity).hexdigest()[:32]}:{page}:{width}"


def _draw(path: str | os.PathLike[str], page: int, width: int) -> PageImage:
    command = [
        sys.executable,
        "-m",
        "portal.kernel.pagedraw",
        os.fspath(path),
        str(page),
        str(width),
        str(MAX_PIXELS),
        str(settings.PREVIEW_MEMORY_MB),
        str(CPU_SECONDS),
    ]
    try:
        done = subprocess.run(command, cwd=_CODE_ROOT, capture_output=True, timeout=WALL_SECONDS, check=False)
        output, failed = done.stdout, done.returncode != 0
    except subprocess.TimeoutExpired as exc:
        output, failed = exc.stdout or b"", True
    header, _, png = output.partition(b"\n")
    try:
        facts = json.loads(header)
    except ValueError:
        facts = {}
    if "error" in facts:
        raise ValueError(facts["error"])
    if "width_pt" not in facts:
        raise ValueError("This document cannot be drawn.")
    if failed or not png:
        return _too_complex(facts["width_pt"], facts["height_pt"], width)
    return PageImage(png, facts["width_pt"], facts["height_pt"])


def _too_complex(width_pt: float, height_pt: float, width: int) -> PageImage:
    """A plain picture of the page's shape that says it is too complex to show."""
    from PIL import Image, ImageDraw, ImageFont

    height = max(1, min(round(width * height_pt / width_pt), 4 * width))
    image = Image.new("RGB", (width, height), "#f3f4f6")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(12, width // 28))
    draw.text((width / 2, height / 2), TOO_COMPLEX, fill="#374151", font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return PageImage(buffer.getvalue(), width_pt, height_pt, too_complex=True)
