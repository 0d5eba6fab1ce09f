"""The in-memory provider (tests/fakes/memory.py): its remote side is a dict shared by every instance."""

from __future__ import annotations

from tests.fakes.memory import MemoryProvider
from tests.providers.contract.base import ProviderDriver, Sent


class MemoryDriver(ProviderDriver):
    provider_id = "memory"

    def setup(self) -> None:
        self.fixture("fake_providers")  # registers "memory" and empties its remote side
        super().setup()

    def open(self, sent: Sent, ref: str) -> None:
        MemoryProvider.participant_act(sent.remote_id, ref, "opened")

    def sign(self, sent: Sent, ref: str) -> None:
        MemoryProvider.participant_act(sent.remote_id, ref, "signed")

    def remote_count(self) -> int:
        return len(MemoryProvider.remote)

    def holds(self, remote_id: str) -> bool:
        return remote_id in MemoryProvider.remote

    def knows_contact(self, remote_id: str, email: str) -> bool:
        people = MemoryProvider.remote[remote_id]["request"].participants
        return any(MemoryProvider.contact_of(remote_id, person.ref) == email for person in people)

    def inject(self, fault: str, remote_id: str) -> None:
        if fault != "404":
            raise ValueError(f"Memory Sign has no transport that could answer {fault}.")
        MemoryProvider.remote.pop(remote_id)  # the remote service forgot the envelope
