"""The public page where anyone holding a PDF from Paraph checks its seal. No sign-in: the file is
what is checked, and the page tells nothing about an envelope beyond the title of the one whose
sealed file has exactly the same bytes."""

from __future__ import annotations

from allauth.core import ratelimit
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from providers.builtin.sealing import SealVerdict, sealed_request_titles, verify_sealed_pdf

MB = 1024 * 1024
SEALED_AND_UNCHANGED = "Sealed by this Paraph and unchanged"
CHANGED_AFTER_SEALING = "Changed after sealing"
NOT_SEALED_BY_PARAPH = "Not sealed by Paraph"
TOO_MANY_CHECKS = "You have checked many PDFs in a short time. Wait a few minutes, then try again."


@require_http_methods(["GET", "POST"])
def verify_page(request: HttpRequest) -> HttpResponse:
    context = {"max_mb": settings.MAX_DOCUMENT_MB}
    if request.method == "GET":
        return render(request, "builtin/verify.html", context)
    # Counted before the upload is read: anyone may check a PDF, nobody may keep the server busy.
    if not ratelimit.consume(request, action="verify_pdf"):
        return render(request, "builtin/verify.html", {**context, "error": TOO_MANY_CHECKS}, status=429)
    # Refuse an oversized upload before Django reads it to a temporary file.
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > (settings.MAX_DOCUMENT_MB + 1) * 1024 * 1024:
        error = f"This file is larger than {settings.MAX_DOCUMENT_MB} MB; Paraph never seals files that large."
        return render(request, "builtin/verify.html", {**context, "error": error}, status=400)
    upload = request.FILES.get("file")
    problem = _upload_problem(upload)
    if problem:
        return render(request, "builtin/verify.html", {**context, "error": problem}, status=400)
    verdict = verify_sealed_pdf(upload.read())
    context |= {
        "verdict": verdict,
        "headline": _headline(verdict),
        "titles": sealed_request_titles(sha256=verdict.sha256),
        "file_name": upload.name,
    }
    return render(request, "builtin/verify.html", context)


def _headline(verdict: SealVerdict) -> str:
    """The verdict in the words the page shows."""
    if verdict.sealed and verdict.by_this_instance:
        return SEALED_AND_UNCHANGED if verdict.intact else CHANGED_AFTER_SEALING
    return NOT_SEALED_BY_PARAPH


def _upload_problem(upload: UploadedFile | None) -> str:
    limit_mb = settings.MAX_DOCUMENT_MB
    if upload is None:
        return "Choose the PDF to check, then press “Check this PDF”."
    if not upload.size:
        return "This file is empty. Choose the PDF again."
    # The size is known before reading: refuse what is too large without touching its content.
    if upload.size > limit_mb * MB:
        size_mb = f"{upload.size / MB:.1f}".removesuffix(".0")
        return f"This file is {size_mb} MB; Paraph checks PDFs of up to {limit_mb} MB."
    return ""
