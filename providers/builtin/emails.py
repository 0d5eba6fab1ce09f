"""E-mails the built-in provider sends. Texts live in templates/builtin/email/."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from providers.builtin.links import download_url, signing_url
from providers.builtin.models import Signer, SignerStatus, SigningRequest

log = logging.getLogger(__name__)


def _send(template: str, to: str, context: dict) -> None:
    subject = render_to_string(f"builtin/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"builtin/email/{template}_body.txt", context)
    send_mail(subject, body, None, [to])


def invitation_send(signer: Signer, *, reminder: bool = False) -> None:
    """The invitation (or a reminder) with the signer's link."""
    context = {"signer": signer, "request": signer.request, "link": signing_url(signer), "reminder": reminder}
    _send("invitation", signer.email, context)


def code_send(signer: Signer, code: str) -> None:
    _send("code", signer.email, {"signer": signer, "request": signer.request, "code": code})


def declined_notify(request: SigningRequest, decliner: Signer) -> None:
    """Tells the sender and those who already signed that the envelope was declined."""
    context = {"request": request, "decliner": decliner}
    earlier = request.signers.filter(status__in=("signed", "approved")).values_list("email", flat=True)
    for address in {request.notify_email, *earlier} - {""}:
        _send("declined", address, context)


def voided_notify(request: SigningRequest) -> None:
    """Tells everyone already invited (whatever they have done since) that the envelope was voided
    and why; those still waiting for their turn never heard of it."""
    invited = request.signers.exclude(status=SignerStatus.WAITING).exclude(email="")
    for signer in invited:
        _send("voided", signer.email, {"request": request, "signer": signer})


def completed_notify(request: SigningRequest) -> None:
    """The download link for the sealed PDF, to the sender and every participant."""
    verify_link = settings.SITE_URL + reverse("verify_pdf")
    context = {"request": request, "link": download_url(request), "verify_link": verify_link}
    for address in {request.notify_email, *request.signers.values_list("email", flat=True)} - {""}:
        _send("completed", address, context)
