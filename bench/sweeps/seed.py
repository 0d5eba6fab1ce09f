"""The purge bench's own organization: finished envelopes past both retention periods, sent with
Paraph signing (so the purge also deletes the provider's copy), with tiny files on disk, two
participants and a valid five-event audit chain each. Dropped again with raw deletes (the ORM's
cascade would load every row), so the bench can run any number of times."""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from envelopes.lifecycle.audit import event_hash
from envelopes.models import Document, Envelope, EnvelopeEvent, EnvelopeStatus, EventSource, Participant, SignatureField
from portal.models import Organization
from providers.builtin.models import Signer, SigningDocument, SigningRequest

ORG_SLUG = "bench-purge"
FILES_DAYS = 30
PERSONAL_DAYS = 365
# Terminal statuses in the proportions seed_bench gives them.
STATUS_MIX = [("completed", 45), ("declined", 6), ("voided", 6), ("expired", 6)]
CHUNK = 2000
PDF = b"%PDF-1.7\n% Paraph purge bench\n%%EOF\n"
PDF_SHA256 = hashlib.sha256(PDF).hexdigest()


@dataclass(frozen=True)
class PurgeOrg:
    org: Organization
    probe_id: int  # an envelope of the org still out for signature: the purge must leave it alone
    envelopes: int
    files: int
    seconds: float


def purge_org_create(*, envelopes: int, media_root: Path, seed: int = 7, progress: Callable = print) -> PurgeOrg:
    """A new organization with `envelopes` finished envelopes that the next purge must handle."""
    started = time.monotonic()
    org = Organization.objects.create(
        name="Bench purge", slug=ORG_SLUG, retention_files_days=FILES_DAYS, retention_personal_days=PERSONAL_DAYS
    )
    rng = random.Random(seed)
    statuses = [status for status, weight in STATUS_MIX for _ in range(weight)]
    files = 0
    for done in range(0, envelopes, CHUNK):
        with transaction.atomic():
            files += _chunk(org, min(CHUNK, envelopes - done), statuses, rng, media_root)
        if (done // CHUNK) % 10 == 9:
            progress(f"  seeded {done + CHUNK:,}/{envelopes:,} envelopes to purge")
    probe = Envelope.objects.create(org=org, title="Still out for signature", status=EnvelopeStatus.SENT)
    return PurgeOrg(org, probe.pk, envelopes, files, time.monotonic() - started)


def _chunk(org: Organization, size: int, statuses: list[str], rng: random.Random, media_root: Path) -> int:
    now = timezone.now()
    envelopes = [_envelope(org, rng.choice(statuses), rng, now) for _ in range(size)]
    Envelope.objects.bulk_create(envelopes)
    people = [
        Participant(
            envelope=envelope,
            name=f"Person {envelope.pk}-{n}",
            email=f"person{n}.{envelope.pk}@example.com",
            phone=f"+4670{envelope.pk % 10**7:07d}",
            status="signed" if envelope.status == EnvelopeStatus.COMPLETED else "opened",
            position=n,
        )
        for envelope in envelopes
        for n in range(2)
    ]
    Participant.objects.bulk_create(people)
    documents = [
        Document(
            envelope=envelope,
            name="contract.pdf",
            file=f"orgs/{org.pk}/envelopes/{envelope.pk}/contract.pdf",
            sha256=PDF_SHA256,
            size=len(PDF),
            page_count=1,
        )
        for envelope in envelopes
    ]
    Document.objects.bulk_create(documents)
    events = []
    for envelope, pair in zip(envelopes, zip(people[::2], people[1::2], strict=True), strict=True):
        events += _chain(envelope, pair)
    _insert(EnvelopeEvent, events)
    Envelope.objects.bulk_update(envelopes, ["last_event_hash"], batch_size=500)
    _provider_copies(envelopes, documents, people)
    names = [d.file.name for d in documents] + [e.signed_file.name for e in envelopes if e.signed_file]
    names += [f"builtin/originals/{e.remote_id}.pdf" for e in envelopes]
    for name in names:
        path = media_root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(PDF)
    return len(names)


def _envelope(org: Organization, status: str, rng: random.Random, now: datetime) -> Envelope:
    finished = now - timedelta(days=PERSONAL_DAYS + 30, minutes=rng.randint(0, 60 * 24 * 365))
    created = finished - timedelta(days=5)
    completed = status == EnvelopeStatus.COMPLETED
    remote_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return Envelope(
        org=org,
        title=f"Agreement {rng.randint(1, 10**6)}",
        status=status,
        provider="builtin",
        remote_id=remote_id,
        created_at=created,
        sent_at=created + timedelta(hours=1),
        expires_at=created + timedelta(days=30),
        completed_at=finished if completed else None,
        voided_at=finished if status == EnvelopeStatus.VOIDED else None,
        signed_file=f"signed/{remote_id}.pdf" if completed else "",
        signed_sha256=PDF_SHA256 if completed else "",
    )


def _chain(envelope: Envelope, people: tuple[Participant, Participant]) -> list[EnvelopeEvent]:
    """created, sent, both participants opened (IP address and browser), and the finishing event at
    the time the envelope finished (what finished_at reads for declined and expired envelopes)."""
    finished = envelope.completed_at or envelope.voided_at or envelope.created_at + timedelta(days=5)
    steps = [("envelope.created", None, envelope.created_at, {}), ("envelope.sent", None, envelope.sent_at, {})]
    opened = {"ip": "203.0.113.7", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "method": "email_otp"}
    steps += [("participant.opened", person, envelope.sent_at + timedelta(hours=2), opened) for person in people]
    steps.append((f"envelope.{envelope.status}", None, finished, {}))
    events, head = [], ""
    for kind, person, occurred_at, data in steps:
        event = EnvelopeEvent(
            envelope=envelope,
            participant=person,
            participant_ref=str(person.pk) if person else "",
            kind=kind,
            occurred_at=occurred_at,
            source=EventSource.PROVIDER if person else EventSource.SYSTEM,
            data=data,
            prev_hash=head,
        )
        event.hash = head = event_hash(event)
        events.append(event)
    envelope.last_event_hash = head
    return events


def _provider_copies(envelopes: list[Envelope], documents: list[Document], people: list[Participant]) -> None:
    """What Paraph signing keeps of each envelope: the request, its document and its signers."""
    requests = [
        SigningRequest(
            id=uuid.UUID(envelope.remote_id),
            envelope_ref=str(envelope.pk),
            title=envelope.title,
            status=envelope.status,
            notify_email="sender@example.com",
            notify_name="Sam Sender",
            created_at=envelope.sent_at,
            completed_at=envelope.completed_at,
        )
        for envelope in envelopes
    ]
    SigningRequest.objects.bulk_create(requests)
    by_envelope = {request.envelope_ref: request for request in requests}
    copies = [
        SigningDocument(
            request=by_envelope[str(d.envelope_id)],
            ref=str(d.pk),
            name=d.name,
            file=f"builtin/originals/{by_envelope[str(d.envelope_id)].id}.pdf",
            sha256=PDF_SHA256,
            page_count=1,
            page_sizes=[[595, 842]],
        )
        for d in documents
    ]
    _insert(SigningDocument, copies)
    signers = [
        Signer(
            request=by_envelope[str(p.envelope_id)],
            ref=str(p.pk),
            name=p.name,
            email=p.email,
            status=p.status,
            ip="203.0.113.7",
            user_agent="Mozilla/5.0 (X11; Linux x86_64)",
        )
        for p in people
    ]
    _insert(Signer, signers)


def _insert(model, objects: list) -> None:
    """COPY … FROM STDIN on PostgreSQL (ten times faster than INSERT), bulk inserts elsewhere."""
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=1000)
        return
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    with connection.cursor() as cursor, cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
        for obj in objects:
            copy.write_row([_copy_value(field, getattr(obj, field.attname)) for field in fields])


def _copy_value(field, value):
    value = field.get_db_prep_save(value, connection)
    return value.dumps(value.obj) if hasattr(value, "dumps") else value  # JSON: its text


def purge_org_drop() -> None:
    """Deletes the bench's organization, if any, with everything it and its provider copies hold."""
    for org_id in Organization.objects.filter(slug=ORG_SLUG).values_list("pk", flat=True):
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in _drop_statements():
                cursor.execute(statement, [org_id])
        Organization.objects.filter(pk=org_id).delete()


def _drop_statements() -> list[str]:
    table = {model: model._meta.db_table for model in (Envelope, Document, SigningRequest)}
    in_org = f"SELECT id FROM {table[Envelope]} WHERE org_id = %s"  # noqa: S608 (table names from the models)
    refs = f"SELECT id FROM {table[SigningRequest]} WHERE envelope_ref IN (SELECT CAST(id AS TEXT) FROM {table[Envelope]} WHERE org_id = %s)"  # noqa: E501, S608
    documents = f"SELECT id FROM {table[Document]} WHERE envelope_id IN ({in_org})"  # noqa: S608
    children = [
        (Signer, "request_id", refs),
        (SigningDocument, "request_id", refs),
        (SigningRequest, "id", refs),
        (SignatureField, "document_id", documents),
        (EnvelopeEvent, "envelope_id", in_org),
        (Participant, "envelope_id", in_org),
        (Document, "envelope_id", in_org),
        (Envelope, "org_id", "%s"),
    ]
    return [f"DELETE FROM {m._meta.db_table} WHERE {column} IN ({rows})" for m, column, rows in children]  # noqa: S608
