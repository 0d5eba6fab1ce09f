"""A document's original PDF and its page images, for members of the organization that owns it."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponse

from envelopes.models import Document, Envelope
from portal.kernel.pdfpages import PAGE_WIDTH_DEFAULT, PAGE_WIDTH_MAX, PAGE_WIDTH_MIN, pdf_page_png
from portal.kernel.roles import role_required
from portal.kernel.tenancy import org_get_or_404

FILE_GONE = "This document's file is no longer stored."


@role_required("view")
def document_file(request, document_id: int):
    """The PDF as uploaded: shown in the browser, or downloaded with ?download=1."""
    document = org_get_or_404(Document, request.org, pk=document_id)
    try:
        original = document.file.open("rb")
    except FileNotFoundError:
        raise Http404(FILE_GONE) from None
    response = FileResponse(
        original,
        content_type="application/pdf",
        as_attachment=request.GET.get("download") == "1",
        filename=document.name,
    )
    # An uploaded PDF may carry scripts: never let it run as a page of the portal.
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@role_required("view")
def document_page_image(request, document_id: int, page: int):
    """One page as a PNG, ?width= pixels wide (200 to 1600, 800 unless asked)."""
    document = org_get_or_404(Document, request.org, pk=document_id)
    if not 1 <= page <= document.page_count:
        raise Http404(f"This document has no page {page}.")
    try:
        image = pdf_page_png(document.file.path, page, _requested_width(request))
    except FileNotFoundError:
        raise Http404(FILE_GONE) from None
    except ValueError as exc:
        raise Http404(str(exc)) from None
    response = HttpResponse(image.png, content_type="image/png")
    # The compose page maps a click on the image to PDF points with this.
    response["X-Page-Size"] = f"{image.width_pt:g}x{image.height_pt:g}"
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _requested_width(request) -> int:
    try:
        width = int(request.GET.get("width", PAGE_WIDTH_DEFAULT))
    except ValueError:
        width = PAGE_WIDTH_DEFAULT
    return max(PAGE_WIDTH_MIN, min(PAGE_WIDTH_MAX, width))


@role_required("view")
def envelope_signed_file(request, envelope_id: int):
    """The completed envelope's signed PDF, for members of the owning organization."""
    envelope = org_get_or_404(Envelope, request.org, pk=envelope_id)
    if not envelope.signed_file:
        raise Http404("This envelope has no signed PDF yet.")
    try:
        signed = envelope.signed_file.open("rb")
    except FileNotFoundError:
        raise Http404(FILE_GONE) from None
    response = FileResponse(
        signed, content_type="application/pdf", as_attachment=True, filename=f"{envelope.title} (signed).pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
