"""An in-memory provider for envelope tests: keeps remote envelopes in a dict, follows the
provider interface exactly, and can be told to fail."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from providers.base import (
    Capability,
    Checkpoint,
    ParticipantSpec,
    Provider,
    ProviderError,
    RemindResult,
    RemoteEnvelope,
    RemoteParticipant,
    RemoteSnapshot,
    SendRequest,
)

ALL_AUTH = (
    "none",
    "email_otp",
    "sms_otp",
    "se_bankid",
    "no_bankid",
    "dk_mitid",
    "fi_ftn",
    "onfido",
    "id_scan",
    "face_liveness",
)


class MemoryProvider(Provider):
    id = "memory"
    name = "Memory Sign"
    capabilities = frozenset(
        {
            Capability.SEQUENTIAL_ORDER,
            Capability.APPROVERS,
            Capability.VIEWERS,
            Capability.EMAIL,
            Capability.SMS,
            Capability.WHATSAPP,
            Capability.ATTACHMENTS,
            Capability.MULTIPLE_DOCUMENTS,
            Capability.REMINDERS_API,
            Capability.VOID,
            Capability.UPDATE_PARTICIPANT,
            Capability.FIELD_PLACEMENT,
            Capability.REMOTE_DELETE,
            *(Capability.auth(method) for method in ALL_AUTH),
        }
    )
    # Shared by every instance, like a real remote service; tests reset it.
    remote: dict[str, dict] = {}
    calls: list[tuple] = []
    fail_next: list[ProviderError] = []
    reminder_cooldown = timedelta(hours=1)
    _ids = itertools.count(1)

    @classmethod
    def reset(cls) -> None:
        cls.remote.clear()
        cls.calls.clear()
        cls.fail_next.clear()

    def _maybe_fail(self, call: str) -> None:
        self.calls.append((call,))
        if self.fail_next:
            raise self.fail_next.pop(0)

    def _remote(self, remote_id: str) -> dict:
        """The remote envelope; like a provider's 404, an unknown id is a permanent error."""
        envelope = self.remote.get(remote_id)
        if envelope is None:
            raise ProviderError(f"Memory Sign does not know envelope {remote_id} (404).", permanent=True)
        return envelope

    def send(self, request: SendRequest, checkpoint: Checkpoint) -> RemoteEnvelope:
        self._maybe_fail("send")
        if not checkpoint.done("created"):
            # A crash between creating and saving the checkpoint must not make a second envelope.
            remote_id = self._created_for(request.envelope_ref) or self._create(request)
            checkpoint.record("created", remote_id)
        remote_id = checkpoint.get("created")
        return RemoteEnvelope(remote_id=remote_id, participant_ids=self._participant_ids(remote_id, request))

    def _create(self, request: SendRequest) -> str:
        remote_id = f"mem-{next(self._ids)}"
        self.remote[remote_id] = {"request": request, "status": "sent", "reminded": {}}
        return remote_id

    def _created_for(self, envelope_ref: str) -> str | None:
        return next(
            (
                remote_id
                for remote_id, envelope in self.remote.items()
                if envelope.get("request") and envelope["request"].envelope_ref == envelope_ref
            ),
            None,
        )

    @staticmethod
    def _participant_ids(remote_id: str, request: SendRequest) -> dict[str, str]:
        return {p.ref: f"{remote_id}-p{p.ref}" for p in request.participants}

    def fetch(self, remote_id: str) -> RemoteSnapshot:
        self._maybe_fail("fetch")
        envelope = self._remote(remote_id)
        request = envelope["request"]
        ids = self._participant_ids(remote_id, request)
        return RemoteSnapshot(
            remote_id=remote_id,
            status=envelope["status"],
            participants=tuple(
                RemoteParticipant(
                    ref=p.ref,
                    remote_id=envelope.get("contacts", {}).get(p.ref, {}).get("remote_id", ids[p.ref]),
                    status=envelope.get("participant_status", {}).get(p.ref, "invited"),
                )
                for p in request.participants
            ),
        )

    def remind(self, remote_id: str, participant_refs: list[str], remote_ids: dict[str, str]) -> RemindResult:
        self._maybe_fail("remind")
        now = timezone.now()
        reminded, refused, possible = [], {}, []
        last = self._remote(remote_id).setdefault("reminded", {})
        for ref in participant_refs:
            if ref in last and now - last[ref] < self.reminder_cooldown:
                possible.append(last[ref] + self.reminder_cooldown)
                minutes = int((possible[-1] - now).total_seconds() // 60) + 1
                refused[ref] = f"Memory Sign allows one reminder per hour; next possible in {minutes} minutes."
            else:
                last[ref] = now
                reminded.append(ref)
        next_possible = max(possible, default=None)
        return RemindResult(reminded=tuple(reminded), not_reminded=refused, next_possible_at=next_possible)

    def void(self, remote_id: str, reason: str) -> None:
        self._maybe_fail("void")
        envelope = self._remote(remote_id)
        if envelope.get("status") == "completed":
            raise ProviderError("Memory Sign cannot void a completed envelope.", permanent=True)
        envelope["status"] = "voided"
        envelope["void_reason"] = reason

    def update_participant(self, remote_id: str, participant: ParticipantSpec) -> str:
        self._maybe_fail("update_participant")
        contacts = self._remote(remote_id).setdefault("contacts", {})
        version = contacts.get(participant.ref, {}).get("version", 1) + 1
        new_id = f"{remote_id}-p{participant.ref}-v{version}"
        contacts[participant.ref] = {
            "name": participant.name,
            "email": participant.email,
            "phone": participant.phone,
            "remote_id": new_id,
            "version": version,
        }
        return new_id

    def delete_remote(self, remote_id: str) -> None:
        self.calls.append(("delete_remote", remote_id))
        if self.fail_next:
            raise self.fail_next.pop(0)
        # Like an HTTP DELETE: deleting what is already gone succeeds.
        self.remote.pop(remote_id, None)

    # -- what the participants do at the remote service (for tests) ----------------------------

    @classmethod
    def participant_act(cls, remote_id: str, ref: str, status: str) -> None:
        """A participant opens (`opened`) or signs (`signed`); the last signature completes the envelope."""
        envelope = cls.remote[remote_id]
        if envelope["status"] != "sent":
            raise ValueError(f"Envelope {remote_id} is {envelope['status']}; nobody can act on it.")
        statuses = envelope.setdefault("participant_status", {})
        statuses[ref] = status
        people = envelope["request"].participants
        if all(statuses.get(p.ref) == "signed" for p in people if p.role == "signer"):
            envelope["status"] = "completed"

    @classmethod
    def contact_of(cls, remote_id: str, ref: str) -> str:
        """The e-mail address the remote service now invites participant `ref` at."""
        envelope = cls.remote[remote_id]
        spec = next(p for p in envelope["request"].participants if p.ref == ref)
        return envelope.get("contacts", {}).get(ref, {}).get("email", spec.email)


class LimitedProvider(MemoryProvider):
    """A provider that can do little: one document, parallel signing, e-mail, no strong auth."""

    id = "limited"
    name = "Limited Sign"
    max_documents = 1
    capabilities = frozenset({Capability.EMAIL, Capability.VOID, Capability.auth("none")})
