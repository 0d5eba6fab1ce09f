"""Realistic data at scale for `make bench`: organizations, envelopes in a status mix, three
participants and about five events per envelope. PostgreSQL gets COPY; other databases bulk inserts.

Seeded events carry placeholder hashes (the chain is not computed): they exist for page timings,
not for `verify_audit_trail`.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from envelopes.models import Envelope, EnvelopeEvent, Participant
from portal.models import Membership, Organization, Role, User
from portal.services import organization_create

BENCH_EMAIL = "bench@paraph.test"
BENCH_PASSWORD = "bench-password-2026"
STATUS_MIX = [
    ("completed", 45),
    ("sent", 25),
    ("draft", 8),
    ("declined", 6),
    ("voided", 6),
    ("expired", 6),
    ("failed", 2),
    ("queued", 2),
]
BATCH = 20_000


class Command(BaseCommand):
    help = "Creates benchmark data: --envelopes N in the measured organization, spread over --orgs M organizations."

    def add_arguments(self, parser):
        parser.add_argument("--envelopes", type=int, default=10_000)
        parser.add_argument("--orgs", type=int, default=1)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, envelopes: int, orgs: int, seed: int, **options):
        random.seed(seed)
        started = time.monotonic()
        measured = self._organization()
        others = [
            organization_create(name=f"Bench other {n}", owner=self._user(f"other{n}@paraph.test"))
            for n in range(max(0, orgs - 1))
        ]
        per_org = [envelopes] + [max(1, envelopes // 100)] * len(others)
        for org, count in zip([measured, *others], per_org, strict=True):
            self._envelopes(org, count)
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Seeded {sum(per_org):,} envelopes in {len(per_org)} organization(s) in {elapsed:.0f} s. "
            f"Login: {BENCH_EMAIL} / {BENCH_PASSWORD} ({measured.name})."
        )

    def _user(self, email: str) -> User:
        user, created = User.objects.get_or_create(email=email)
        if created:
            user.set_password(BENCH_PASSWORD)
            user.save()
        return user

    def _organization(self) -> Organization:
        user = self._user(BENCH_EMAIL)
        membership = Membership.objects.filter(user=user, role=Role.OWNER).select_related("org").first()
        return membership.org if membership else organization_create(name="Bench Company", owner=user)

    def _envelopes(self, org: Organization, count: int) -> None:
        statuses = [status for status, weight in STATUS_MIX for _ in range(weight)]
        now = timezone.now()
        done = 0
        while done < count:
            size = min(BATCH, count - done)
            with transaction.atomic():
                first_id = self._insert_envelopes(org, size, statuses, now)
                self._insert_children(range(first_id, first_id + size), now)
            done += size
            self.stdout.write(f"  {org.name}: {done:,}/{count:,}")

    def _insert_envelopes(self, org: Organization, size: int, statuses: list[str], now) -> int:
        rows = []
        for _ in range(size):
            created = now - timedelta(minutes=random.randint(0, 60 * 24 * 365))
            status = random.choice(statuses)
            rows.append(
                Envelope(
                    org=org,
                    title=f"Agreement {random.randint(1, 10**6)}",
                    status=status,
                    provider="builtin",
                    created_at=created,
                    sent_at=created if status not in ("draft", "queued") else None,
                    completed_at=created + timedelta(days=random.randint(0, 9)) if status == "completed" else None,
                    expires_at=created + timedelta(days=30),
                    next_reminder_at=created + timedelta(days=3) if status == "sent" else None,
                )
            )
        created_rows = Envelope.objects.bulk_create(rows, batch_size=5000)
        if created_rows[0].pk is not None:
            return created_rows[0].pk
        return Envelope.objects.filter(org=org).order_by("-pk").values_list("pk", flat=True)[size - 1]

    def _insert_children(self, envelope_ids: range, now) -> None:
        people, events = [], []
        kinds = ("envelope.created", "participant.added", "envelope.queued", "envelope.sent", "participant.invited")
        for envelope_id in envelope_ids:
            for position in range(3):
                n = random.randint(1, 10**7)
                status = random.choice(["waiting", "invited", "opened", "signed"])
                people.append(
                    Participant(
                        envelope_id=envelope_id,
                        name=f"Person {n}",
                        email=f"person{n}.{envelope_id}.{position}@example.com",
                        order=position + 1,
                        status=status,
                        position=position,
                    )
                )
            previous = ""
            for index, kind in enumerate(kinds[: random.randint(3, 5)]):
                placeholder = f"bench-{envelope_id}-{index}"
                events.append(
                    EnvelopeEvent(
                        envelope_id=envelope_id,
                        kind=kind,
                        occurred_at=now,
                        source="system",
                        data={},
                        prev_hash=previous,
                        hash=placeholder,
                    )
                )
                previous = placeholder
        if connection.vendor == "postgresql":
            self._copy(Participant, people)
            self._copy(EnvelopeEvent, events)
        else:
            Participant.objects.bulk_create(people, batch_size=5000)
            EnvelopeEvent.objects.bulk_create(events, batch_size=5000)

    @staticmethod
    def _copy(model, objects: list) -> None:
        """COPY … FROM STDIN (an order of magnitude faster than INSERT) of every concrete column but
        the id, with the values the model objects carry (Django's defaults included)."""
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(f'"{f.column}"' for f in fields)
        with connection.cursor() as cursor, cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row([_copy_value(f, obj) for f in fields])


def _copy_value(field, obj):
    value = field.get_db_prep_value(getattr(obj, field.attname), connection)
    return value.dumps(value.obj) if hasattr(value, "dumps") else value
