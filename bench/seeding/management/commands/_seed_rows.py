"""What `seed_bench` writes, as plain rows: each envelope's plan (status by age, provider, times),
then its envelope, participant and event rows, consistent with one another the way real use
leaves them (a completed envelope's signers have signed, a sent one waits on its current group)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from envelopes.models import BOUNCED

DAY = timedelta(days=1)
EXPIRY = timedelta(days=30)
# Status weights by age: recent envelopes are mostly still out, older ones finished.
MIX_BY_AGE = [
    (DAY, {"draft": 20, "queued": 3, "failed": 2, "sent": 70, "completed": 5}),
    (EXPIRY, {"draft": 6, "failed": 1, "sent": 60, "completed": 25, "declined": 4, "voided": 4}),
    (None, {"draft": 5, "failed": 1, "completed": 70, "declined": 7, "voided": 6, "expired": 11}),
]
FINISHED = {"completed", "declined", "voided", "expired"}
NOT_SENT = {"draft", "queued", "failed"}
BOUNCE_RATE = 0.003
MINE_RATE = 0.005  # envelopes in which the benchmark user is the first signer
# Every participant row carries the same columns (COPY writes them in one order).
PARTICIPANT_DEFAULTS = {
    "role": "signer",
    "status": "waiting",
    "invited_at": None,
    "opened_at": None,
    "signed_at": None,
    "declined_at": None,
    "decline_reason": "",
    "reminders_sent": 0,
    "last_reminded_at": None,
}


@dataclass(frozen=True)
class EnvelopePlan:
    created_at: datetime
    status: str
    provider: str
    connection_id: int | None
    sent_at: datetime | None
    finished_at: datetime | None
    sequential: bool


def _status_for(age: timedelta) -> str:
    weights = next(mix for limit, mix in MIX_BY_AGE if limit is None or age < limit)
    roll = random.uniform(0, sum(weights.values()))
    for status, weight in weights.items():
        if roll < weight:
            return status
        roll -= weight
    return status


def _account(accounts: list[tuple[str, int, int]]) -> tuple[str, int | None]:
    roll = random.uniform(0, 100)
    for provider, connection_id, share in accounts:
        if roll < share:
            return provider, connection_id
        roll -= share
    return "builtin", None


def plan_envelope(created_at: datetime, now: datetime, accounts: list[tuple[str, int, int]]) -> EnvelopePlan:
    status = _status_for(now - created_at)
    provider, connection_id = _account(accounts)
    sent_at = None if status in NOT_SENT else min(now, created_at + timedelta(minutes=random.randint(2, 600)))
    finished_at = None
    if status == "expired":
        finished_at = created_at + EXPIRY
    elif status in FINISHED:
        # Time to finish spread from minutes to weeks (log-uniform), never in the future.
        took = timedelta(hours=random.uniform(0.1, 600) ** random.uniform(0.3, 1))
        finished_at = min(now, sent_at + took)
    return EnvelopePlan(created_at, status, provider, connection_id, sent_at, finished_at, random.random() < 0.5)


def _roles() -> list[str]:
    roll = random.random()
    return ["signer", "signer", "signer" if roll < 0.8 else "approver" if roll < 0.9 else "viewer"]


def _done_status(role: str) -> str:
    return {"signer": "signed", "approver": "approved", "viewer": "opened"}[role]


def _people(plan: EnvelopePlan, now: datetime) -> list[dict]:
    """Status and timestamps of the three participants."""
    roles = _roles()
    people = [{"role": role, "status": "waiting"} for role in roles]
    if plan.status in NOT_SENT:
        return people
    end = plan.finished_at or now
    span = max(end - plan.sent_at, timedelta(minutes=3))
    if plan.status == "completed":
        for index, person in enumerate(people):
            done = plan.sent_at + span * (index + 1) / 3
            invited = plan.sent_at + span * index / 3 if plan.sequential else plan.sent_at
            person.update(status=_done_status(person["role"]), invited_at=invited, opened_at=invited + span / 9)
            if person["role"] != "viewer":
                person["signed_at"] = done
        return people
    # Out for signature, or stopped while out: earlier people done, the current ones invited or opened.
    current = random.randint(0, 1 if roles[2] == "viewer" else 2) if plan.sequential else None
    for index, person in enumerate(people):
        if plan.sequential and index > current:
            continue
        invited = plan.sent_at + (span * index / 4 if plan.sequential else timedelta(0))
        person["invited_at"] = invited
        finished_already = (plan.sequential and index < current) or (not plan.sequential and random.random() < 0.4)
        if finished_already and person["role"] != "viewer":
            opened, signed = invited + span / 20, invited + span / 10
            person.update(status=_done_status(person["role"]), opened_at=opened, signed_at=signed)
        elif random.random() < 0.5:
            person.update(status="opened", opened_at=invited + span / 8)
        else:
            person["status"] = "invited"
    waiting_on = [p for p in people if p["status"] in ("invited", "opened") and p["role"] != "viewer"]
    if not waiting_on:  # a parallel envelope where everyone happened to sign: someone has not
        waiting_on = [people[0]]
        people[0].update(status="invited", signed_at=None)
    if plan.status == "declined":
        waiting_on[0].update(status="declined", declined_at=plan.finished_at, decline_reason="The terms changed.")
    elif plan.status == "sent":
        for person in waiting_on:
            person["reminders_sent"] = random.choice([0, 0, 1, 2])
            if person["reminders_sent"]:
                person["last_reminded_at"] = min(now, person["invited_at"] + timedelta(days=3))
    return people


def rows_for(org, plans, envelope_ids, participant_ids, bench_email: str, now: datetime):
    """(envelope rows, participant rows, event rows) for `plans`, as dicts of column values."""
    envelopes, people, events = [], [], []
    ids = iter(participant_ids)
    for plan, envelope_id in zip(plans, envelope_ids, strict=True):
        chain = _Chain(envelope_id, org.pk, events)
        chain.add("envelope.created", plan.created_at)
        mine = random.random() < MINE_RATE
        persons = []
        for position, person in enumerate(_people(plan, now)):
            pid = next(ids)
            n = random.randint(1, 10**7)
            email = bench_email if (mine and position == 0) else f"person{n}.{envelope_id}.{position}@example.com"
            persons.append({**person, "id": pid})
            people.append(
                {
                    "id": pid,
                    "envelope_id": envelope_id,
                    "name": "Bench User" if email == bench_email else f"Person {n}",
                    "email": email,
                    "order": position + 1 if plan.sequential else 1,
                    "position": position,
                    **PARTICIPANT_DEFAULTS,
                    **person,
                }
            )
        _events(plan, persons, chain, now)
        envelopes.append(_envelope_row(org, plan, envelope_id, chain.head, now))
    return envelopes, people, events


def _envelope_row(org, plan: EnvelopePlan, envelope_id: int, head: str, now: datetime) -> dict:
    out = plan.status == "sent"
    return {
        "id": envelope_id,
        "org_id": org.pk,
        "provider": plan.provider,
        "connection_id": plan.connection_id,
        "title": f"Agreement {random.randint(1, 10**6)}",
        "status": plan.status,
        "created_at": plan.created_at,
        "updated_at": plan.finished_at or plan.sent_at or plan.created_at,
        "expires_at": plan.created_at + EXPIRY,
        "sent_at": plan.sent_at,
        "completed_at": plan.finished_at if plan.status == "completed" else None,
        "voided_at": plan.finished_at if plan.status == "voided" else None,
        "void_reason": "Replaced by a corrected version." if plan.status == "voided" else "",
        "last_error": "The provider refused the document: it is password-protected." if plan.status == "failed" else "",
        "remote_id": "" if plan.sent_at is None else f"bench-{envelope_id}",
        "next_reminder_at": max(now, plan.sent_at + 3 * DAY) if out else None,
        "next_sync_at": now + timedelta(minutes=random.randint(1, 15)) if out and plan.provider != "builtin" else None,
        "last_event_hash": head,
    }


def _events(plan: EnvelopePlan, people: list[dict], chain: _Chain, now: datetime) -> None:
    if plan.status == "draft":
        for person in people:
            chain.add("participant.added", plan.created_at, person)
        return
    if plan.sent_at is None:
        queued_at = plan.created_at + timedelta(minutes=5)
        chain.add("envelope.queued", queued_at)
        if plan.status == "failed":
            chain.add("envelope.failed", queued_at + timedelta(seconds=20))
        return
    chain.add("envelope.sent", plan.sent_at)
    for person in people:
        for field, kind in (("signed_at", "participant.signed"), ("declined_at", "participant.declined")):
            if person.get(field):
                chain.add(kind, person[field], person)
        if plan.status == "sent" and person["status"] in ("invited", "opened") and person["role"] != "viewer":
            chain.add("participant.invited", person["invited_at"], person)
            if person.get("opened_at"):
                chain.add("participant.opened", person["opened_at"], person)
            if random.random() < BOUNCE_RATE:
                chain.add(BOUNCED, person["invited_at"] + timedelta(minutes=2), person)
    if plan.status in FINISHED:
        chain.add(f"envelope.{plan.status}", plan.finished_at)


class _Chain:
    """An envelope's events in order, linked by placeholder hashes."""

    def __init__(self, envelope_id: int, org_id: int, events: list[dict]):
        self.envelope_id = envelope_id
        self.org_id = org_id
        self.events = events
        self.head = ""
        self.count = 0

    def add(self, kind: str, at: datetime, person: dict | None = None) -> None:
        placeholder = f"bench-{self.envelope_id}-{self.count}"
        self.events.append(
            {
                "envelope_id": self.envelope_id,
                "org_id": self.org_id,
                "participant_id": person["id"] if person else None,
                "participant_ref": str(person["id"]) if person else "",
                "kind": kind,
                "occurred_at": at,
                "source": "system" if kind.startswith("envelope.") else "provider",
                "prev_hash": self.head,
                "hash": placeholder,
            }
        )
        self.head = placeholder
        self.count += 1
