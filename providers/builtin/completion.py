"""Completing a built-in signing request: the final PDF, stamped, certified and sealed."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from providers.builtin import emails
from providers.builtin.flows import PROVIDER_ID, _event, _report
from providers.builtin.models import RequestStatus, Signer, SigningRequest
from providers.builtin.pdf import Certificate, CertificateEntry, Stamp, final_pdf
from providers.builtin.sealing import seal_pdf
from providers.signals import AuditHead, audit_head_requested

log = logging.getLogger(__name__)

AUTH_LABELS = {"none": "None", "email_otp": "E-mail code"}
ACTIONS = {"signed": "Signed", "approved": "Approved", "declined": "Declined"}
ROLES = {"signer": "Signer", "approver": "Approver", "viewer": "Viewer"}


def _stamps(request: SigningRequest, document_refs: list[str]) -> list[Stamp]:
    stamps = []
    for signer in request.signers.filter(role="signer", status="signed"):
        image = bytes(signer.signature_png)
        boxes = [box for box in signer.fields if box["document_ref"] in document_refs]
        if not boxes:
            stamps.append(Stamp(signer.name, image, signer.signed_at, None))
        for box in boxes:
            stamps.append(
                Stamp(
                    signer.name,
                    image,
                    signer.signed_at,
                    document_refs.index(box["document_ref"]),
                    box["page"],
                    box["x"],
                    box["y"],
                    box["width"],
                    box["height"],
                )
            )
    return stamps


def _entry(signer: Signer) -> CertificateEntry:
    action = "Viewed" if signer.role == "viewer" else ACTIONS.get(signer.status, signer.get_status_display())
    authentication = AUTH_LABELS.get(signer.auth_sign if signer.role == "signer" else signer.auth_view, "None")
    return CertificateEntry(
        name=signer.name,
        email=signer.email,
        role=ROLES.get(signer.role, signer.role),
        action=action,
        authentication=authentication,
        ip=signer.ip or "",
        user_agent=signer.user_agent,
        invited_at=signer.invited_at,
        opened_at=signer.opened_at,
        signed_at=signer.signed_at,
    )


def _audit_head(request: SigningRequest) -> AuditHead | None:
    answers = audit_head_requested.send(sender=SigningRequest, provider=PROVIDER_ID, remote_id=str(request.pk))
    return next((head for _, head in answers if isinstance(head, AuditHead)), None)


def _head_event(head: AuditHead | None) -> str:
    if head is None:
        return ""
    return f"{head.label} ({head.kind}), {head.occurred_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def request_finalize(request_id: str) -> str:
    """Builds and seals the final PDF once every signer has finished; safe to run twice."""
    request = SigningRequest.objects.get(pk=request_id)
    if request.status != RequestStatus.SENT or request.sealed_sha256:
        return f"nothing to do ({request.status})"
    documents = list(request.documents.filter(kind="sign"))
    refs = [d.ref for d in documents]
    head = _audit_head(request)
    certificate = Certificate(
        envelope_id=request.envelope_ref,
        title=request.title,
        documents=tuple((d.name, d.sha256) for d in documents),
        participants=tuple(_entry(s) for s in request.signers.all()),
        audit_head=head.hash if head else "",
        audit_head_event=_head_event(head),
        completed_at=timezone.now(),
        issuer=settings.SITE_URL,
    )
    originals = [d.file.open("rb").read() for d in documents]
    sealed = seal_pdf(final_pdf(originals, _stamps(request, refs), certificate))
    with transaction.atomic():
        locked = SigningRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != RequestStatus.SENT or locked.sealed_sha256:
            return "already completed by another worker"
        locked.sealed_file.save(f"{request.pk}.pdf", ContentFile(sealed), save=False)
        locked.sealed_sha256 = hashlib.sha256(sealed).hexdigest()
        locked.status, locked.completed_at = RequestStatus.COMPLETED, certificate.completed_at
        locked.save(update_fields=["sealed_file", "sealed_sha256", "status", "completed_at"])
        # The event the certificate's head hash is, so the envelope page can mark the sealing point.
        sealed_at = {"hash": head.hash, "kind": head.kind, "label": head.label} if head else {}
        if head:
            sealed_at["occurred_at"] = head.occurred_at.astimezone(UTC).isoformat()
        _report(_event(locked, "envelope.completed", sha256=locked.sealed_sha256, sealed_at_event=sealed_at))
        transaction.on_commit(lambda: emails.completed_notify(locked), robust=True)
    return "completed"
