"""Paraph signing: the built-in provider, and the reference implementation of the interface."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from providers.base import (
    Capability,
    Checkpoint,
    ParticipantSpec,
    Provider,
    ProviderError,
    RemindResult,
    RemoteEnvelope,
    RemoteEvent,
    RemoteParticipant,
    RemoteSnapshot,
    SendRequest,
    SignedFile,
    WebhookScheme,
)
from providers.builtin import flows
from providers.builtin.models import SigningRequest
from providers.internal_events import events_parse


class BuiltinProvider(Provider):
    id = "builtin"
    name = "Paraph signing"
    poll_interval = None  # it reports every change as it happens
    void_notice = (
        "Everyone already invited gets an e-mail that the envelope was voided, with this reason, and their "
        "signing link shows it."
    )
    # Its events are stored and applied like webhooks, but come from inside Paraph and are facts.
    webhook_scheme = WebhookScheme.INTERNAL
    events_are_facts = True
    urls = "providers.builtin.urls"

    @classmethod
    def secrets_reencrypt(cls) -> int:
        """The sealing identity's key."""
        from portal.kernel.crypto import rotate
        from providers.builtin.models import SealingIdentity

        changed = 0
        for identity in SealingIdentity.objects.all():
            identity.pkcs12_encrypted = rotate(identity.pkcs12_encrypted)
            identity.save(update_fields=["pkcs12_encrypted"])
            changed += 1
        return changed
    capabilities = frozenset(
        {
            Capability.SEQUENTIAL_ORDER,
            Capability.APPROVERS,
            Capability.VIEWERS,
            Capability.EMAIL,
            Capability.ATTACHMENTS,
            Capability.MULTIPLE_DOCUMENTS,
            Capability.REMINDERS_API,
            Capability.VOID,
            Capability.SIGNED_DOWNLOAD,
            Capability.UPDATE_PARTICIPANT,
            Capability.FIELD_PLACEMENT,
            Capability.EXPIRY,
            Capability.REMOTE_DELETE,
            Capability.auth("none"),
            Capability.auth("email_otp"),
        }
    )

    def webhook_events(self, body: bytes) -> list[RemoteEvent]:
        return events_parse(self.name, body)

    def _request(self, remote_id: str) -> SigningRequest:
        try:
            return SigningRequest.objects.get(pk=remote_id)
        except (SigningRequest.DoesNotExist, ValidationError, ValueError):
            raise ProviderError("Paraph signing has no such envelope.", permanent=True) from None

    def send(self, request: SendRequest, checkpoint: Checkpoint) -> RemoteEnvelope:
        if not checkpoint.done("request"):
            # A crash between creating the request and saving the checkpoint must not make a second one.
            existing = SigningRequest.objects.filter(envelope_ref=request.envelope_ref).order_by("created_at").first()
            checkpoint.record("request", str((existing or flows.request_create(request)).pk))
        signing = self._request(checkpoint.get("request"))
        return RemoteEnvelope(
            remote_id=str(signing.pk), participant_ids={s.ref: str(s.pk) for s in signing.signers.all()}
        )

    def fetch(self, remote_id: str) -> RemoteSnapshot:
        signing = self._request(remote_id)
        return RemoteSnapshot(
            remote_id=remote_id,
            status=signing.status,
            participants=tuple(RemoteParticipant(ref=s.ref, status=s.status) for s in signing.signers.all()),
        )

    def remind(self, remote_id: str, participant_refs: list[str], remote_ids: dict[str, str]) -> RemindResult:
        return flows.request_remind(self._request(remote_id), participant_refs)

    def void(self, remote_id: str, reason: str) -> None:
        try:
            flows.request_void(self._request(remote_id), reason=reason)
        except flows.SigningRefused as exc:
            raise ProviderError(exc.messages[0], permanent=True) from None

    def update_participant(self, remote_id: str, participant: ParticipantSpec) -> str:
        return str(flows.signer_change_contact(self._request(remote_id), participant).pk)

    def download_signed(self, remote_id: str) -> list[SignedFile]:
        signing = self._request(remote_id)
        if not signing.sealed_file:
            raise ProviderError("The signed PDF is not ready yet.", retry_after=30)
        with signing.sealed_file.open("rb") as sealed:
            return [SignedFile(name=f"{signing.title} (signed).pdf", content=sealed.read())]

    def delete_remote(self, remote_id: str) -> None:
        flows.request_erase(self._request(remote_id))
