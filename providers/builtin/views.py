"""The signing page: no account needed, the link is the key. Works on a phone screen."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.kernel.pdfpages import pdf_page_png
from providers.builtin import flows
from providers.builtin.links import request_by_download_token, signer_by_token
from providers.builtin.models import RequestStatus, SignerStatus
from providers.builtin.signatures import drawn_signature_png, typed_signature_png

CONSENT = flows.CONSENT_TEXT
PREVIEW_WIDTH = 900


def _client(request) -> tuple[str | None, str]:
    return request.META.get("REMOTE_ADDR"), request.META.get("HTTP_USER_AGENT", "")


def _code_key(signer) -> str:
    # Bound to this link (nonce): a new link, or a forwarded one in another browser, asks again.
    return f"paraph_code_{signer.pk}_{signer.token_nonce}"


def _verified(request, signer) -> bool:
    return bool(request.session.get(_code_key(signer)))


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


def _page_context(signer, *, verified: bool, **extra) -> dict:
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
        "needs_code": signer.role != "viewer" and flows.needs_code(signer, verified=verified, to_sign=True),
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
    verified = _verified(request, signer)
    if flows.needs_code(signer, verified=verified):
        return render(request, "builtin/code.html", {"signer": signer, "token": token})
    ip, user_agent = _client(request)
    flows.signer_open(signer, ip=ip, user_agent=user_agent)
    return render(request, "builtin/sign.html", _page_context(signer, verified=verified, token=token))


@never_cache
@require_POST
def code_view(request, token: str):
    """Sends a code (action=send) or checks the one typed in."""
    signer, closed = _signer_or_page(request, token)
    if closed:
        return closed
    ip, _ = _client(request)
    try:
        if request.POST.get("action") == "send":
            flows.code_issue(signer, ip=ip)
            return render(request, "builtin/code.html", {"signer": signer, "token": token, "sent": True})
        flows.code_check(signer, request.POST.get("code", ""), ip=ip)
    except flows.SigningRefused as exc:
        return render(
            request, "builtin/code.html", {"signer": signer, "token": token, "error": exc.messages[0]}, status=400
        )
    request.session[_code_key(signer)] = True
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
    verified = _verified(request, signer)
    try:
        _act(request, signer, ip=ip, user_agent=user_agent, verified=verified)
    except ValidationError as exc:  # a refused step, or a signature image that will not do
        return _refused(request, signer, token, exc.messages[0], verified=verified)
    signer.refresh_from_db()
    return render(request, "builtin/done.html", {"signer": signer, "envelope": signer.request, "just_now": True})


def _act(request, signer, *, ip: str | None, user_agent: str, verified: bool) -> None:
    post = request.POST
    if post.get("action") == "decline":
        flows.signer_decline(signer, reason=post.get("reason", ""), ip=ip, user_agent=user_agent, verified=verified)
        return
    if signer.role == "viewer":
        raise flows.SigningRefused("You receive this envelope to read; there is nothing to sign.")
    attachments = any(d.kind == "attachment" for d in signer.request.documents.all())
    if attachments and not post.get("read"):
        raise flows.SigningRefused("Open the attachments and confirm you have read them.")
    if not post.get("consent"):
        raise flows.SigningRefused("Tick the box to agree to sign electronically.")
    common = {"ip": ip, "user_agent": user_agent, "verified": verified, "acknowledged": attachments}
    if signer.role == "approver":
        flows.signer_approve(signer, **common)
    else:
        image, method = _signature(request)
        flows.signer_sign(signer, signature_png=image, method=method, **common)


def _refused(request, signer, token: str, message: str, *, verified: bool):
    signer.refresh_from_db()
    if signer.status in (SignerStatus.SIGNED, SignerStatus.APPROVED, SignerStatus.DECLINED):
        return render(
            request, "builtin/done.html", {"signer": signer, "envelope": signer.request, "note": message}, status=409
        )
    context = _page_context(signer, verified=verified, token=token, error=message, posted=request.POST)
    return render(request, "builtin/sign.html", context, status=400)


@require_GET
def page_image(request, token: str, document_ref: str, page: int):
    signer, closed = _signer_or_page(request, token)
    if closed or flows.needs_code(signer, verified=_verified(request, signer)):
        raise Http404("Not available.")
    document = signer.request.documents.filter(ref=document_ref).first()
    if document is None or not 1 <= page <= document.page_count:
        raise Http404("No such page.")
    # Drawn once per page and cached by pdf_page_png: a link holder reloading cannot keep it busy.
    response = HttpResponse(pdf_page_png(document.file.path, page, PREVIEW_WIDTH).png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=600"
    return response


@require_GET
def attachment(request, token: str, document_ref: str):
    signer, closed = _signer_or_page(request, token)
    if closed:
        return closed  # opened in a tab of its own, so it says why (voided, expired) like the page
    if flows.needs_code(signer, verified=_verified(request, signer)):
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
