"""Paraph signing: its "remote" side is its own SigningRequest records, driven through its flows
as the signing page drives them; it reports each change as stored deliveries, like a webhook."""

from __future__ import annotations

from providers.base import RemoteEvent
from providers.builtin import flows
from providers.builtin.models import Signer, SigningRequest
from providers.builtin.signatures import typed_signature_png
from providers.internal_events import events_parse
from providers.models import WebhookDelivery
from tests.providers.contract.base import ProviderDriver, Sent


class BuiltinDriver(ProviderDriver):
    provider_id = "builtin"

    def _signer(self, sent: Sent, ref: str) -> Signer:
        return Signer.objects.select_related("request").get(request_id=sent.remote_id, ref=ref)

    def _committed(self):
        # What the flows leave for after the commit (reports, invitations, sealing) runs here.
        return self.fixture("django_capture_on_commit_callbacks")(execute=True)

    def open(self, sent: Sent, ref: str) -> None:
        with self._committed():
            flows.signer_open(self._signer(sent, ref), ip="203.0.113.7", user_agent="Contract browser")

    def sign(self, sent: Sent, ref: str) -> None:
        signer = self._signer(sent, ref)
        with self._committed():
            flows.signer_sign(
                signer,
                signature_png=typed_signature_png(signer.name),
                method="typed",
                ip="203.0.113.7",
                user_agent="Contract browser",
                verified=True,
            )

    def remote_count(self) -> int:
        return SigningRequest.objects.count()

    def holds(self, remote_id: str) -> bool:
        request = SigningRequest.objects.get(pk=remote_id)
        return request.documents.exists() or bool(request.sealed_file) or request.signers.exclude(email="").exists()

    def knows_contact(self, remote_id: str, email: str) -> bool:
        return Signer.objects.filter(request_id=remote_id, email=email).exists()

    def inject(self, fault: str, remote_id: str) -> None:
        if fault != "404":
            raise ValueError(f"Paraph signing runs inside Paraph; nothing between could answer {fault}.")
        SigningRequest.objects.filter(pk=remote_id).delete()

    def reported_events(self, remote_id: str) -> list[RemoteEvent]:
        deliveries = WebhookDelivery.objects.filter(provider=self.provider_id, remote_id=remote_id).order_by("pk")
        return [event for delivery in deliveries for event in events_parse("Paraph signing", delivery.body.encode())]
