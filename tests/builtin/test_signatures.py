"""Signature images a signer makes on the signing page: a typed name, or a drawing."""

from __future__ import annotations

import base64
import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image, ImageDraw, PngImagePlugin

from providers.builtin import signatures
from providers.builtin.signatures import drawn_signature_png, typed_signature_png


def png_data_url(image: Image.Image, *, format: str = "PNG", pnginfo=None) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **({"pnginfo": pnginfo} if pnginfo else {}))
    kind = "png" if format == "PNG" else format.lower()
    return f"data:image/{kind};base64," + base64.b64encode(buffer.getvalue()).decode()


def drawing(size=(400, 200), background=(0, 0, 0, 0), ink=(0, 0, 0, 255)) -> Image.Image:
    """A canvas with one wavy stroke across its middle, as the signing page would send it."""
    image = Image.new("RGBA", size, background)
    width, height = size
    points = [(width * (0.15 + 0.1 * step), height * (0.45 + 0.05 * (step % 2))) for step in range(8)]
    ImageDraw.Draw(image).line(points, fill=ink, width=4)
    return image


def opened(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGBA")


def dark_pixels(image: Image.Image) -> int:
    data = image.tobytes()
    return sum(1 for i in range(0, len(data), 4) if data[i + 3] > 128 and max(data[i : i + 3]) < 120)


def test_typed_name_becomes_dark_ink_on_a_transparent_cropped_png():
    image = opened(typed_signature_png("Ada Lovelace"))
    assert 100 < image.width <= 600 and 20 < image.height < 200
    assert dark_pixels(image) > 500
    corners = [(0, 0), (image.width - 1, 0), (0, image.height - 1), (image.width - 1, image.height - 1)]
    assert all(image.getpixel(corner)[3] == 0 for corner in corners)


def test_a_long_typed_name_is_scaled_down_to_600_pixels():
    assert opened(typed_signature_png("Maximiliana Wilhelmina Theodora von Hohenzollern-Sigmaringen")).width == 600


def test_a_name_the_handwriting_font_cannot_write_is_still_drawn():
    image = opened(typed_signature_png("Łukasz Żółć"))
    assert dark_pixels(image) > 300


@pytest.mark.parametrize("name", ["", "   ", "\t\n", "\u200b"])
def test_a_blank_typed_name_is_refused(name):
    with pytest.raises(ValidationError) as refusal:
        typed_signature_png(name)
    assert refusal.value.messages == ["Type your name to sign."]


def test_drawing_is_reencoded_without_metadata_and_cropped_to_the_ink():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "tracking-id-1234")
    result = drawn_signature_png(png_data_url(drawing(), pnginfo=info))
    assert b"tracking-id-1234" not in result
    image = opened(result)
    assert "Comment" not in Image.open(io.BytesIO(result)).info
    assert image.width < 400 and image.height < 100
    assert dark_pixels(image) > 500


def test_a_white_paper_background_becomes_transparent():
    image = opened(drawn_signature_png(png_data_url(drawing(background=(255, 255, 255, 255)).convert("RGB"))))
    assert image.getpixel((0, 0))[3] == 0
    assert dark_pixels(image) > 500


@pytest.mark.parametrize(
    "data_url,message",
    [
        (png_data_url(drawing().convert("RGB"), format="JPEG"), signatures.DRAWN_NOT_PNG),
        ("data:image/png;base64," + base64.b64encode(b"GIF89a not a png").decode(), signatures.DRAWN_UNREADABLE),
        ("data:image/png;base64,@@not base64@@", signatures.DRAWN_UNREADABLE),
        ("data:image/png;base64," + png_data_url(drawing())[22:][:300], signatures.DRAWN_UNREADABLE),
        ("https://example.com/signature.png", signatures.DRAWN_NOT_PNG),
        (png_data_url(drawing(size=(2001, 100))), signatures.DRAWN_TOO_LARGE),
        (png_data_url(drawing(size=(400, 1001))), signatures.DRAWN_TOO_LARGE),
        (png_data_url(Image.new("RGBA", (400, 200), (0, 0, 0, 0))), signatures.DRAWN_EMPTY),
        (png_data_url(Image.new("RGB", (400, 200), "white")), signatures.DRAWN_EMPTY),
        (png_data_url(drawing(ink=(245, 245, 245, 255))), signatures.DRAWN_EMPTY),
        (png_data_url(drawing(ink=(0, 0, 0, 10))), signatures.DRAWN_EMPTY),
    ],
    ids=[
        "jpeg",
        "gif-bytes",
        "bad-base64",
        "truncated-png",
        "not-a-data-url",
        "too-wide",
        "too-tall",
        "empty-transparent-canvas",
        "empty-white-canvas",
        "near-white-strokes",
        "invisible-strokes",
    ],
)
def test_a_drawing_that_cannot_be_used_is_refused_with_a_sentence(data_url, message):
    with pytest.raises(ValidationError) as refusal:
        drawn_signature_png(data_url)
    assert refusal.value.messages == [message]


def test_a_jpeg_sent_as_png_is_refused():
    jpeg = png_data_url(drawing().convert("RGB"), format="JPEG").split(",", 1)[1]
    with pytest.raises(ValidationError) as refusal:
        drawn_signature_png("data:image/png;base64," + jpeg)
    assert refusal.value.messages == [signatures.DRAWN_NOT_PNG]


def test_a_10_mb_data_url_is_refused_without_decoding_it(monkeypatch):
    def must_not_decode(*args, **kwargs):
        raise AssertionError("a data URL over the limit was decoded")

    monkeypatch.setattr(signatures.base64, "b64decode", must_not_decode)
    monkeypatch.setattr(signatures.Image, "open", must_not_decode)
    with pytest.raises(ValidationError) as refusal:
        drawn_signature_png("data:image/png;base64," + "A" * 10_000_000)
    assert refusal.value.messages == [signatures.DRAWN_TOO_LONG]
