"""Signature images: a typed name written in the handwriting font, or a drawing from the signing page.

Both come out as a clean PNG (dark ink, transparent background, no metadata) cropped to the ink, so
a stamp on the PDF shows the signature at a useful size and nothing else the browser sent along.
"""

from __future__ import annotations

import base64
import binascii
import io
from functools import cache
from pathlib import Path

import reportlab
from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, ImageChops, ImageDraw, ImageFont, UnidentifiedImageError

# One copy of the font serves both the signing page (as a web font) and the stamped signatures.
HANDWRITING_FONT = Path(settings.BASE_DIR) / "static" / "fonts" / "DancingScript-Regular.otf"
# For names the handwriting font cannot write, and for text in PDFs: the system's DejaVu Sans when
# installed (wide script coverage), else the Vera font that ships inside reportlab.
PLAIN_FONTS = (
    (
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ),
    (Path(reportlab.__file__).parent / "fonts" / "Vera.ttf", Path(reportlab.__file__).parent / "fonts" / "VeraBd.ttf"),
)
INK = (22, 30, 70, 255)

TYPED_NAME_MAX_LENGTH = 200
TYPED_FONT_SIZE = 96
TYPED_MAX_WIDTH = 600
MARGIN = 10

DRAWN_PREFIX = "data:image/png;base64,"
DRAWN_MAX_LENGTH = 300_000
DRAWN_MAX_WIDTH = 2000
DRAWN_MAX_HEIGHT = 1000
# A pixel is ink when it is at least this opaque and darker than near-white.
INK_MIN_ALPHA = 32
NEAR_WHITE = 235

DRAWN_NOT_PNG = "Draw your signature in the box on this page and try again."
DRAWN_TOO_LONG = "Your drawing is too detailed to use. Clear the box and draw your signature again."
DRAWN_UNREADABLE = "Your drawing could not be read. Clear the box and draw your signature again."
DRAWN_TOO_LARGE = (
    f"Your drawing is larger than {DRAWN_MAX_WIDTH} × {DRAWN_MAX_HEIGHT} pixels. "
    "Clear the box and draw your signature again."
)
DRAWN_EMPTY = "The box is empty. Draw your signature in it before signing."


def typed_signature_png(name: str) -> bytes:
    """The signer's typed `name` in the handwriting font as a PNG at most TYPED_MAX_WIDTH pixels wide.
    Raises ValidationError when the name is blank or too long."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Type your name to sign.", code="empty")
    if len(name) > TYPED_NAME_MAX_LENGTH:
        raise ValidationError(f"Type at most {TYPED_NAME_MAX_LENGTH} characters to sign.", code="too_long")
    font = _font_that_writes(name)
    left, top, right, bottom = font.getbbox(name)
    # Swashes of a script font reach past its reported box; draw with room and crop to the ink.
    pad = TYPED_FONT_SIZE // 2
    image = Image.new("RGBA", (right - left + 2 * pad, bottom - top + 2 * pad), (0, 0, 0, 0))
    ImageDraw.Draw(image).text((pad - left, pad - top), name, font=font, fill=INK)
    ink = image.getchannel("A").getbbox()
    if ink is None:
        raise ValidationError("Type your name to sign.", code="empty")
    image = _crop_with_margin(image, ink)
    if image.width > TYPED_MAX_WIDTH:
        height = max(1, round(image.height * TYPED_MAX_WIDTH / image.width))
        image = image.resize((TYPED_MAX_WIDTH, height), Image.Resampling.LANCZOS)
    return _png(image)


def drawn_signature_png(data_url: str) -> bytes:
    """The drawing from the signing page (a `data:image/png;base64,…` URL), checked, cleaned and
    cropped to its ink. Returns PNG bytes; raises ValidationError with a sentence for the signer."""
    if not isinstance(data_url, str):
        raise ValidationError(DRAWN_NOT_PNG, code="not_png")
    # Length first: it costs nothing, while decoding a huge payload would not.
    if len(data_url) > DRAWN_MAX_LENGTH:
        raise ValidationError(DRAWN_TOO_LONG, code="too_long")
    if not data_url.startswith(DRAWN_PREFIX):
        raise ValidationError(DRAWN_NOT_PNG, code="not_png")
    image = _decoded_png(data_url[len(DRAWN_PREFIX) :])
    rgba = image.convert("RGBA")
    ink = _ink_mask(rgba)
    bbox = ink.getbbox()
    if bbox is None:
        raise ValidationError(DRAWN_EMPTY, code="empty")
    # A fresh image keeps no metadata, and paper-white background becomes transparent so the stamp
    # does not hide the document under it.
    clean = Image.new("RGBA", rgba.size, (0, 0, 0, 0))
    clean.paste(rgba, mask=ink)
    return _png(_crop_with_margin(clean, bbox))


@cache
def plain_font_paths() -> tuple[Path, Path]:
    """(regular, bold) TrueType files for plain text: names in PDFs and names the script font lacks."""
    for regular, bold in PLAIN_FONTS:
        if regular.is_file() and bold.is_file():
            return regular, bold
    raise FileNotFoundError("No plain TrueType font found; reportlab's Vera fonts are missing.")


def _decoded_png(payload: str) -> Image.Image:
    try:
        data = base64.b64decode(payload, validate=True)
        image = Image.open(io.BytesIO(data))
    except (binascii.Error, ValueError, UnidentifiedImageError, OSError):
        raise ValidationError(DRAWN_UNREADABLE, code="unreadable") from None
    if image.format != "PNG":
        raise ValidationError(DRAWN_NOT_PNG, code="not_png")
    # The header gives the size; refuse before decoding any pixels.
    if image.width > DRAWN_MAX_WIDTH or image.height > DRAWN_MAX_HEIGHT:
        raise ValidationError(DRAWN_TOO_LARGE, code="too_large")
    try:
        image.load()
    except (OSError, ValueError, SyntaxError):
        raise ValidationError(DRAWN_UNREADABLE, code="unreadable") from None
    return image


def _ink_mask(rgba: Image.Image) -> Image.Image:
    """255 where a pixel is ink (opaque enough and darker than near-white), 0 elsewhere."""
    opaque = rgba.getchannel("A").point(lambda alpha: 255 if alpha >= INK_MIN_ALPHA else 0)
    dark = rgba.convert("L").point(lambda level: 255 if level < NEAR_WHITE else 0)
    return ImageChops.multiply(opaque, dark)


def _crop_with_margin(image: Image.Image, bbox: tuple[int, int, int, int]) -> Image.Image:
    left, top, right, bottom = bbox
    return image.crop(
        (
            max(0, left - MARGIN),
            max(0, top - MARGIN),
            min(image.width, right + MARGIN),
            min(image.height, bottom + MARGIN),
        )
    )


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@cache
def _handwriting_font() -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(HANDWRITING_FONT), TYPED_FONT_SIZE)


@cache
def _plain_font() -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(plain_font_paths()[0]), round(TYPED_FONT_SIZE * 0.7))


def _font_that_writes(name: str) -> ImageFont.FreeTypeFont:
    """The handwriting font when it has a glyph for every letter of `name`, else the plain font:
    a legible name beats a handwritten one with gaps."""
    font = _handwriting_font()
    return font if all(_has_glyph(character) for character in set(name)) else _plain_font()


@cache
def _has_glyph(character: str) -> bool:
    # Pillow cannot list a font's characters; a missing one is drawn as the font's .notdef glyph,
    # recognisable by its box and advance (a private-use code point surely has no glyph).
    font = _handwriting_font()
    if character.isspace():
        return True
    notdef = "\U0010fffd"
    return (font.getbbox(character), font.getlength(character)) != (font.getbbox(notdef), font.getlength(notdef))
