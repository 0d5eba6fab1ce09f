"""The signing page: no account needed, the link is the key. Works on a phone screen."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.pdfpages import pdf_page_png
from providers.builtin import flows
from providers.builtin.links import request_by_download_token, signer_by_token
from providers.builtin.models import RequestStatus, SignerStatus
from providers.builtin.signatures import drawn_signature_png, typed_signature_png

CONSENT = (
    "I agree that signing electronically here has the same effect as my handwritten signature, and that "
    "this envelope and its record of my actions are kept as evidence."
)
PREVIEW_WIDTH = 900


def _client(request) -> tuple[str | None, str]:
    return request.META.get("REMOTE_ADDR"), request.META.get("HTTP_USER_AGENT", "")


def _signer_or_page(request, token: str):
    """(signer, None) when the link works; (None, a readable page) when it does not."""
    signer = signer_by_token(token)
    if signer is None:
        return None, _closed(
            request,
            "This link does not work. It may have been replaced by a newer one, or the "
            "envelope is no longer available.",
            status=404,
        )
    problem = flows.signer_problem(signer)
    if problem:
        return None, _closed(request, problem, status=410)
    return signer, None


def _closed(request, message: str, *, status: int):
    return render(request, "builtin/closed.html", {"message": message}, status=status)


def _page_context(signer, **extra) -> dict:
    request = signer.request
    documents = list(request.documents.all())
    boxes: dict[tuple[str, int], list[dict]] = {}
    for box in signer.fields:
        boxes.setdefault((box["document_ref"], box["page"]), []).append(box)
    pages = []
    for document in documents:
        if document.kind != "sign":
            continue
        for number, (width, height) in enumerate(document.page_sizes, start=1):
            highlights = [
                {
                    "left": 100 * b["x"] / width,
                    "top": 100 * (height - b["y"] - b["height"]) / height,
                    "width": 100 * b["width"] / width,
                    "height": 100 * b["height"] / height,
                }
                for b in boxes.get((document.ref, number), [])
            ]
            pages.append(
                {"document": document, "number": number, "highlights": highlights, "ratio": 100 * height / width}
            )
    return {
        "signer": signer,
        "envelope": request,
        "pages": pages,
        "attachments": [d for d in documents if d.kind == "attachment"],
        "consent": CONSENT,
        "token": extra.pop("token"),
        "needs_code": flows.needs_code(signer) or (signer.role == "signer" and flows.needs_code(signer, to_sign=True)),
        **extra,
    }


@never_cache
@require_GET
def sign_page(request, token: str):
    signer, closed = _signer_or_page(request, token)
    if closed:
        return closed
    if signer.status in (SignerStatus.SIGNED, SignerStatus.APPROVED, SignerStatus.DECLINED):
        return render(request, "builtin/done.html", {"signer": signer, "envelope": signer.request})
    if flows.needs_code(signer):
        return render(request, "builtin/code.html", {"signer": signer, "token": token})
    ip, user_agent = _client(request)
    flows.signer_open(signer, ip=ip, user_agent=user_agent)
    return render(request, "builtin/sign.html", _page_context(signer, token=token))


@never_cache
@require_POST
def code_view(request, token: str):
    """Sends a code (action=send) or checks the one typed in."""
    signer, closed = _signer_or_page(request, token)
    if closed:
        return closed
    try:
        if request.POST.get("action") == "send":
            flows.code_issue(signer)
            return render(request, "builtin/code.html", {"signer": signer, "token": token, "sent": True})
        flows.code_check(signer, request.POST.get("code", ""))
    except flows.SigningRefused as exc:
        return render(
            request, "builtin/code.html", {"signer": signer, "token": token, "error": exc.messages[0]}, status=400
        )
    return redirect("builtin_sign", token=token)


def _signature(request) -> tuple[bytes, str]:
    if request.POST.get("method") == "drawn":
        return drawn_signature_png(request.POST.get("drawn", "")), "drawn"
    return typed_signature_png(request.POST.get("typed", "")), "typed"


@never_cache
@require_POST
def act_view(request, token: str):
    """Sign, approve or decline; each refusal is shown on the page, nothing half-applied."""
    signer, closed = _signer_or_page(request, token)
    if closed:
        return closed
    ip, user_agent = _client(request)
    action = request.POST.get("action")
    try:
        if action == "decline":
            flows.signer_decline(signer, reason=request.POST.get("reason", ""), ip=ip, user_agent=user_agent)
        else:
            if flows.needs_code(signer):
                raise flows.SigningRefused("Confirm the code we e-mailed you first.")
            if any(d.kind == "attachment" for d in signer.request.documents.all()) and not request.POST.get("read"):
                raise flows.SigningRefused("Open the attachments and confirm you have read them.")
            if signer.role != "viewer" and not request.POST.get("consent"):
                raise flows.SigningRefused("Tick the box to agree to sign electronically.")
            if signer.role == "approver":
                flows.signer_approve(signer, ip=ip, user_agent=user_agent)
            elif signer.role == "signer":
                image, method = _signature(request)
                flows.signer_sign(signer, signature_png=image, method=method, ip=ip, user_agent=user_agent)
            else:
                raise flows.SigningRefused("You receive this envelope to read; there is nothing to sign.")
    except ValidationError as exc:  # a refused step, or a signature image that will not do
        return _refused(request, signer, token, exc.messages[0])
    signer.refresh_from_db()
    return render(request, "builtin/done.html", {"signer": signer, "envelope": signer.request, "just_now": True})


def _refused(request, signer, token: str, message: str):
    signer.refresh_from_db()
    if signer.status in (SignerStatus.SIGNED, SignerStatus.APPROVED, SignerStatus.DECLINED):
        return render(
            request, "builtin/done.html", {"signer": signer, "envelope": signer.request, "note": message}, status=409
        )
    context = _page_context(signer, token=token, error=message, posted=request.POST)
    return render(request, "builtin/sign.html", context, status=400)


@require_GET
def page_image(request, token: str, document_ref: str, page: int):
    signer, closed = _signer_or_page(request, token)
    if closed or flows.needs_code(signer):
        raise Http404("Not available.")
    document = signer.request.documents.filter(ref=document_ref).first()
    if document is None or not 1 <= page <= document.page_count:
        raise Http404("No such page.")
    image = pdf_page_png(document.file.path, page, PREVIEW_WIDTH)
    response = HttpResponse(image.png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=600"
    return response


@require_GET
def attachment(request, token: str, document_ref: str):
    signer, closed = _signer_or_page(request, token)
    if closed or flows.needs_code(signer):
        raise Http404("Not available.")
    document = signer.request.documents.filter(ref=document_ref, kind="attachment").first()
    if document is None:
        raise Http404("No such attachment.")
    return FileResponse(
        document.file.open("rb"), content_type="application/pdf", as_attachment=True, filename=document.name
    )


@require_GET
def download(request, token: str):
    """The sealed PDF, from the signed link e-mailed on completion."""
    signing = request_by_download_token(token)
    if signing is None or signing.status != RequestStatus.COMPLETED or not signing.sealed_file:
        return _closed(
            request,
            "This download link has expired or is not valid. Ask the sender for the signed document.",
            status=404,
        )
    return FileResponse(
        signing.sealed_file.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"{signing.title} (signed).pdf",
    )
