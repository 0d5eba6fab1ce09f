"""What happens in a built-in signing request: creating it, inviting each group in turn, opening,
one-time codes, signing, approving, declining, voiding, reminding and completing.

Every change is reported to the envelope domain as RemoteEvents (after the transaction commits),
exactly as an external provider's webhook would report it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from pypdf import PdfReader

from providers.base import ParticipantSpec, RemindResult, RemoteEvent, SendRequest
from providers.builtin import emails
from providers.builtin.links import signer_issue_link, signer_revoke_link
from providers.builtin.models import RequestStatus, Signer, SignerStatus, SigningDocument, SigningRequest
from providers.internal_events import events_report

log = logging.getLogger(__name__)

PROVIDER_ID = "builtin"
CODE_ATTEMPTS = 5
CODE_VALID = timedelta(minutes=10)
CODE_RESEND_AFTER = timedelta(minutes=1)
REMINDER_COOLDOWN = timedelta(hours=1)
CONSENT_TEXT = (
    "I agree that signing electronically here has the same effect as my handwritten signature, and that "
    "this envelope and its record of my actions are kept as evidence."
)
OPEN = (SignerStatus.INVITED, SignerStatus.OPENED)
DONE = (SignerStatus.SIGNED, SignerStatus.APPROVED)


class SigningRefused(ValidationError):
    """A signing-page action that cannot happen, with the sentence to show the signer."""


# --- Reporting back ---------------------------------------------------------------------------


def _event(request: SigningRequest, kind: str, signer: Signer | None = None, **data) -> RemoteEvent:
    return RemoteEvent(
        event_id=uuid.uuid4().hex,
        remote_id=str(request.pk),
        kind=kind,
        occurred_at=timezone.now(),
        participant_ref=signer.ref if signer else None,
        # Events can arrive before the envelope has recorded the remote id (a very quick signer).
        data={"envelope_ref": request.envelope_ref, **data},
    )


def _report(*events: RemoteEvent) -> None:
    """Delivers the events once the current transaction has committed (never for a rolled-back change)."""
    # robust: a failure is logged (the delivery stays pending); it must not turn a recorded
    # signature into an error page.
    transaction.on_commit(lambda: events_report(PROVIDER_ID, list(events)), robust=True)


# --- Creating and inviting --------------------------------------------------------------------


def _page_sizes(path: str) -> list[list[float]]:
    """Each page's size as it is shown (crop box, turned by /Rotate), like the page images and the
    stamps, so the "sign here" boxes land where the signature will."""
    sizes = []
    for page in PdfReader(path).pages:
        width, height = float(page.cropbox.width), float(page.cropbox.height)
        sizes.append([height, width] if page.rotation % 180 == 90 else [width, height])
    return sizes


@transaction.atomic
def request_create(send: SendRequest) -> SigningRequest:
    """Keeps its own copy of the documents and participants, then invites the first group."""
    request = SigningRequest.objects.create(
        envelope_ref=send.envelope_ref,
        title=send.title,
        message=send.message,
        language=send.language,
        expires_at=send.expires_at,
        notify_email=send.sender_email,
        notify_name=send.sender_name,
    )
    for position, spec in enumerate(send.documents):
        document = SigningDocument(
            request=request,
            ref=spec.ref,
            name=spec.name,
            kind=spec.kind,
            sha256=spec.sha256,
            page_count=spec.page_count,
            page_sizes=_page_sizes(spec.path),
            position=position,
        )
        document.file.save(spec.name, ContentFile(Path(spec.path).read_bytes()), save=True)
    for spec in send.participants:
        Signer.objects.create(request=request, **_signer_fields(spec))
    invite_due(request, report=False)
    return request


def _signer_fields(spec: ParticipantSpec) -> dict:
    return {
        "ref": spec.ref,
        "name": spec.name,
        "email": spec.email,
        "role": spec.role,
        "order": spec.order,
        "auth_view": spec.auth_view,
        "auth_sign": spec.auth_sign,
        "fields": [
            {"document_ref": f.document_ref, "page": f.page, "x": f.x, "y": f.y, "width": f.width, "height": f.height}
            for f in spec.fields
        ],
    }


def _finished(signer: Signer) -> bool:
    """Viewers do not hold anyone up once they have their link."""
    if signer.role == "viewer":
        return signer.status != SignerStatus.WAITING
    return signer.status in DONE


def invite_due(request: SigningRequest, *, report: bool = True) -> list[Signer]:
    """Invites the next group once every earlier one has finished (a group of viewers only is done
    as soon as it is invited, so the one after it is invited too); returns who was invited. Called
    with the request locked (or inside its creation), so two last signatures of a group racing each
    other invite the next group once."""
    signers = list(request.signers.all())
    invited: list[Signer] = []
    while True:
        pending = sorted({s.order for s in signers if not _finished(s)})
        group = [s for s in signers if pending and s.order == pending[0] and s.status == SignerStatus.WAITING]
        if not group:
            break
        for signer in group:
            signer.status, signer.invited_at = SignerStatus.INVITED, timezone.now()
            signer.save(update_fields=["status", "invited_at"])
            signer_issue_link(signer)
            invited.append(signer)
    for signer in invited:
        transaction.on_commit(lambda signer=signer: emails.invitation_send(signer), robust=True)
    if report and invited:
        _report(*(_event(request, "participant.invited", s) for s in invited))
    return invited


# --- The signing page -------------------------------------------------------------------------


def signer_problem(signer: Signer) -> str | None:
    """Why this signer's link shows no documents right now, or None."""
    request = signer.request
    if request.status == RequestStatus.VOIDED:
        if request.void_reason:
            return f"This envelope is no longer available. The sender cancelled it: “{request.void_reason}”"
        return "This envelope is no longer available. The sender cancelled it."
    if request.status == RequestStatus.DECLINED:
        return "This envelope is no longer available: someone declined to sign it."
    if request.status == RequestStatus.EXPIRED or (request.expires_at and request.expires_at <= timezone.now()):
        # Checked here, at the moment of every request, not left to the expiry sweep that runs
        # every quarter of an hour: a link must not accept a signature after the deadline.
        return expired_message(request)
    if signer.status == SignerStatus.WAITING:
        return "It is not your turn yet. You will get an e-mail when it is."
    return None


def expired_message(request: SigningRequest) -> str:
    if request.expires_at is None:
        return "This envelope expired; it can no longer be signed. Ask the sender to send it again."
    when = date_format(timezone.localtime(request.expires_at), "j F Y, H:i")
    return f"This envelope expired on {when}; it can no longer be signed. Ask the sender to send it again."


def needs_code(signer: Signer, *, verified: bool, to_sign: bool = False) -> bool:
    """Whether an e-mailed code is still needed. `verified` comes from the signer's own browser
    session, so a forwarded link does not inherit someone else's confirmation."""
    methods = {signer.auth_view, signer.auth_sign} if to_sign else {signer.auth_view}
    return "email_otp" in methods and not verified


@transaction.atomic
def signer_open(signer: Signer, *, ip: str | None, user_agent: str) -> None:
    """The first visit counts as opened (once)."""
    opened = Signer.objects.filter(pk=signer.pk, status=SignerStatus.INVITED).update(
        status=SignerStatus.OPENED, opened_at=timezone.now(), ip=ip, user_agent=user_agent[:300]
    )
    if opened:
        signer.refresh_from_db()
        _report(_event(signer.request, "participant.opened", signer, ip=ip, user_agent=user_agent[:300]))


def _code_digest(signer: Signer, code: str) -> str:
    return hmac.new(signer.token_nonce.encode(), code.encode(), hashlib.sha256).hexdigest()


LOCKED = "Too many wrong codes. Ask the sender to send the envelope to you again."


def code_issue(signer: Signer, *, ip: str | None = None) -> None:
    """E-mails a fresh six-digit code (the previous one stops working); at most one a minute."""
    with transaction.atomic():
        signer = Signer.objects.select_for_update().select_related("request").get(pk=signer.pk)
        if signer.otp_attempts >= CODE_ATTEMPTS:
            raise SigningRefused(LOCKED)
        if signer.otp_expires_at and signer.otp_expires_at - CODE_VALID > timezone.now() - CODE_RESEND_AFTER:
            raise SigningRefused("We sent you a code less than a minute ago; check your inbox (and spam folder).")
        code = f"{secrets.randbelow(10**6):06d}"
        signer.otp_hash, signer.otp_expires_at = _code_digest(signer, code), timezone.now() + CODE_VALID
        signer.save(update_fields=["otp_hash", "otp_expires_at"])
        _report(_event(signer.request, "participant.code_sent", signer, ip=ip))
    try:
        emails.code_send(signer, code)
    except OSError:
        log.warning("signer %s: code e-mail not sent", signer.pk)
        raise SigningRefused("We could not send the e-mail just now. Try again in a few minutes.") from None


def code_check(signer: Signer, code: str, *, ip: str | None = None) -> None:
    """Accepts the code or raises SigningRefused; five wrong codes lock the link. The attempt is
    counted before comparing, with one conditional update, so parallel guesses cannot pass the limit."""
    counted = Signer.objects.filter(pk=signer.pk, otp_attempts__lt=CODE_ATTEMPTS).update(
        otp_attempts=F("otp_attempts") + 1
    )
    signer.refresh_from_db()
    if not counted:
        raise SigningRefused(LOCKED)
    if not signer.otp_hash or signer.otp_expires_at is None or signer.otp_expires_at <= timezone.now():
        raise SigningRefused("The code has expired. Send yourself a new one.")
    if not hmac.compare_digest(signer.otp_hash, _code_digest(signer, (code or "").strip())):
        left = CODE_ATTEMPTS - signer.otp_attempts
        with transaction.atomic():
            kind = "participant.code_locked" if left <= 0 else "participant.code_failed"
            _report(_event(signer.request, kind, signer, ip=ip))
        if left <= 0:
            raise SigningRefused(LOCKED)
        raise SigningRefused(f"That code is not right. {left} attempt{'s' if left != 1 else ''} left.")
    with transaction.atomic():
        Signer.objects.filter(pk=signer.pk).update(otp_verified_at=timezone.now(), otp_hash="", otp_attempts=0)
        _report(_event(signer.request, "participant.code_confirmed", signer, ip=ip))


def _claim(signer: Signer, request: SigningRequest, to: str, **fields) -> None:
    """Compare-and-set from invited/opened on the locked request: of two tabs submitting at once one
    wins, and nothing can be signed once the envelope is voided, declined or expired."""
    signer.request = request
    problem = signer_problem(signer)
    if problem:
        raise SigningRefused(problem)
    won = Signer.objects.filter(pk=signer.pk, status__in=OPEN).update(status=to, **fields)
    if won != 1:
        raise SigningRefused("You have already answered this envelope; nothing more is needed.")
    signer.refresh_from_db()


def _lock(request: SigningRequest) -> SigningRequest:
    return SigningRequest.objects.select_for_update().get(pk=request.pk)


def _check_code(signer: Signer, *, verified: bool, to_sign: bool) -> None:
    if needs_code(signer, verified=verified, to_sign=to_sign):
        raise SigningRefused("Confirm the code we e-mailed you first.")


def signer_sign(
    signer: Signer,
    *,
    signature_png: bytes,
    method: str,
    ip: str | None,
    user_agent: str,
    verified: bool,
    acknowledged: bool = False,
) -> None:
    """Records the signature and moves the envelope on: the next group, or completion."""
    if signer.role != "signer":
        raise SigningRefused("You are asked to approve or view this envelope, not to sign it.")
    _answer(
        signer,
        SignerStatus.SIGNED,
        ip=ip,
        user_agent=user_agent,
        verified=verified,
        acknowledged=acknowledged,
        stored={"signature_png": signature_png, "signature_method": method},
        reported={"method": method},
    )


def signer_approve(
    signer: Signer, *, ip: str | None, user_agent: str, verified: bool, acknowledged: bool = False
) -> None:
    if signer.role != "approver":
        raise SigningRefused("You are asked to sign or view this envelope, not to approve it.")
    _answer(signer, SignerStatus.APPROVED, ip=ip, user_agent=user_agent, verified=verified, acknowledged=acknowledged)


@transaction.atomic
def _answer(
    signer: Signer,
    to: str,
    *,
    ip: str | None,
    user_agent: str,
    verified: bool,
    acknowledged: bool,
    stored: dict | None = None,
    reported: dict | None = None,
) -> None:
    """Signing and approving alike: the code check, the claim on the locked request, the event
    (with the consent text agreed to) and what comes next."""
    _check_code(signer, verified=verified, to_sign=True)
    request = _lock(signer.request)
    now = timezone.now()
    user_agent = user_agent[:300]
    _claim(
        signer,
        request,
        to,
        signed_at=now,
        ip=ip,
        user_agent=user_agent,
        attachments_acknowledged_at=now if acknowledged else None,
        **(stored or {}),
    )
    _report(
        _event(
            request, f"participant.{to}", signer, ip=ip, user_agent=user_agent, consent=CONSENT_TEXT, **(reported or {})
        )
    )
    _advance(request)


def _advance(request: SigningRequest) -> None:
    invite_due(request)
    if all(_finished(s) for s in request.signers.all()):
        from django_q.tasks import async_task

        transaction.on_commit(
            lambda: async_task(
                "providers.builtin.tasks.finalize_request",
                str(request.pk),
                task_name=f"seal signing request {request.pk}",
            )
        )


@transaction.atomic
def signer_decline(signer: Signer, *, reason: str, ip: str | None, user_agent: str, verified: bool) -> None:
    """Ends the envelope as declined and tells the sender and those who signed before."""
    if signer.role == "viewer":
        raise SigningRefused("You receive this envelope to read; only signers and approvers can decline it.")
    _check_code(signer, verified=verified, to_sign=False)
    reason = (reason or "").strip()
    if not reason:
        raise SigningRefused("Tell the sender why you decline; they will read it.")
    request = _lock(signer.request)
    _claim(
        signer,
        request,
        SignerStatus.DECLINED,
        declined_at=timezone.now(),
        decline_reason=reason[:500],
        ip=ip,
        user_agent=user_agent[:300],
    )
    # Every link now leads to "no longer available" (signer_problem), which is kinder than a dead link.
    SigningRequest.objects.filter(pk=request.pk).update(status=RequestStatus.DECLINED)
    request.status = RequestStatus.DECLINED
    _report(
        _event(request, "participant.declined", signer, reason=reason, ip=ip, user_agent=user_agent[:300]),
        _event(request, "envelope.declined"),
    )
    transaction.on_commit(lambda: emails.declined_notify(request, signer), robust=True)


# --- Asked by the envelope domain through the provider interface ------------------------------


@transaction.atomic
def request_void(request: SigningRequest, *, reason: str = "") -> None:
    """Every link stops working and shows "no longer available" with the reason; everyone already
    invited is e-mailed, once: voiding again (a second click, a retried call) changes nothing."""
    request = _lock(request)
    if request.status in (RequestStatus.COMPLETED,):
        raise SigningRefused("This envelope is already complete.")
    reason = (reason or "").strip()[:500]
    voided = SigningRequest.objects.filter(pk=request.pk, status=RequestStatus.SENT).update(
        status=RequestStatus.VOIDED, void_reason=reason
    )
    if voided:
        request.status, request.void_reason = RequestStatus.VOIDED, reason
        transaction.on_commit(lambda: emails.voided_notify(request), robust=True)


def request_remind(request: SigningRequest, refs: list[str]) -> RemindResult:
    """Sends the same link again to each due signer, at most once an hour."""
    now = timezone.now()
    reminded, refused = [], {}
    for signer in request.signers.filter(ref__in=refs):
        if signer.status not in OPEN or not signer.token_nonce:
            refused[signer.ref] = "has nothing to do right now."
            continue
        if signer.last_reminded_at and now - signer.last_reminded_at < REMINDER_COOLDOWN:
            wait = int((signer.last_reminded_at + REMINDER_COOLDOWN - now).total_seconds() // 60) + 1
            refused[signer.ref] = f"was reminded less than an hour ago; next possible in {wait} minutes."
            continue
        Signer.objects.filter(pk=signer.pk).update(last_reminded_at=now)
        emails.invitation_send(signer, reminder=True)
        reminded.append(signer.ref)
    return RemindResult(reminded=tuple(reminded), not_reminded=refused, next_possible_at=now + REMINDER_COOLDOWN)


@transaction.atomic
def signer_change_contact(request: SigningRequest, spec: ParticipantSpec) -> Signer:
    """New contact details: the old link stops working and, if it is their turn, a new one is sent."""
    signer = Signer.objects.select_for_update().get(request=request, ref=spec.ref)
    signer.name, signer.email = spec.name, spec.email
    signer.otp_verified_at, signer.otp_attempts, signer.otp_hash = None, 0, ""
    signer.save(update_fields=["name", "email", "otp_verified_at", "otp_attempts", "otp_hash"])
    if signer.status in OPEN:
        signer_issue_link(signer)
        transaction.on_commit(lambda: emails.invitation_send(signer), robust=True)
    else:
        signer_revoke_link(signer)
    return signer


@transaction.atomic
def request_erase(request: SigningRequest) -> None:
    """Retention at the provider: deletes this copy's files and the signers' personal data, and closes
    every link. The sealed file's sha256 stays, so a copy kept elsewhere can still be verified."""
    request = _lock(request)
    files = [d.file for d in request.documents.all()] + ([request.sealed_file] if request.sealed_file else [])
    for stored in files:
        stored.delete(save=False)
    request.documents.all().delete()
    request.sealed_file = ""
    request.notify_email = request.notify_name = ""
    request.save(update_fields=["sealed_file", "notify_email", "notify_name"])
    request.signers.update(
        name="(erased)",
        email="",
        ip=None,
        user_agent="",
        signature_png=b"",
        decline_reason="",
        token_nonce="",
        token_hash=None,
        otp_hash="",
    )
