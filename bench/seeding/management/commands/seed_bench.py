"""Realistic data at scale for `make bench`: organizations with envelopes created over a year in a
status mix that follows their age (recent ones still out for signature, older ones finished), three
participants and about five events per envelope, two provider connections besides Paraph signing,
the count tables the dashboards read, and the benchmark user as a signer now and then.

PostgreSQL gets COPY of plain tuples (ids reserved from the sequences); other databases bulk inserts.
Seeded events carry placeholder hashes (the chain is not computed): they exist for page timings,
not for `verify_audit_trail`.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from operator import itemgetter

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from bench.seeding.management.commands._seed_rows import EnvelopePlan, plan_envelope, rows_for
from envelopes.lifecycle.count_tables import EnvelopeDailyCount, EnvelopeStatusCount
from envelopes.lifecycle.counts import counts_rebuild
from envelopes.models import Envelope, EnvelopeEvent, Participant
from portal.models import Membership, Organization, Role, User
from portal.services import organization_create
from providers.models import ProviderConnection

BENCH_EMAIL = "bench@paraph.test"
BENCH_PASSWORD = "bench-password-2026"
OPERATOR_EMAIL = "bench-operator@paraph.test"  # staff, for timing the admin's changelists
BATCH = 20_000
SPAN = timedelta(days=365)
# The measured organization's accounts besides Paraph signing: (provider, label, status, share in %).
ACCOUNTS = [
    ("formify", "Formify — Sales", "connected", 20),
    ("easyink", "EasyInk — Legal", "needs_reconnect", 10),
]


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
        operator = self._user(OPERATOR_EMAIL)
        User.objects.filter(pk=operator.pk).update(is_staff=True, is_superuser=True)
        others = [
            organization_create(name=f"Bench other {n}", owner=self._user(f"other{n}@paraph.test"))
            for n in range(max(0, orgs - 1))
        ]
        per_org = [envelopes] + [max(1, envelopes // 100)] * len(others)
        for org, count in zip([measured, *others], per_org, strict=True):
            self._envelopes(org, count, self._accounts(org) if org == measured else [])
            counts_rebuild(org)
        self._analyze()
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

    @staticmethod
    def _accounts(org: Organization) -> list[tuple[str, int, int]]:
        """(provider, connection id, share in %) of the organization's seeded connections."""
        accounts = []
        for provider, label, status, share in ACCOUNTS:
            account, _ = ProviderConnection.objects.get_or_create(
                org=org, provider=provider, label=label, defaults={"status": status}
            )
            accounts.append((provider, account.pk, share))
        return accounts

    def _envelopes(self, org: Organization, count: int, accounts: list[tuple[str, int, int]]) -> None:
        now = timezone.now()
        step = SPAN / max(count, 1)
        done = 0
        while done < count:
            size = min(BATCH, count - done)
            # Oldest first, so that ids follow time as they do in real use.
            plans = [plan_envelope(now - SPAN + step * (done + i), now, accounts) for i in range(size)]
            with transaction.atomic():
                self._insert_batch(org, plans, now)
            done += size
            self.stdout.write(f"  {org.name}: {done:,}/{count:,}")

    def _insert_batch(self, org: Organization, plans: list[EnvelopePlan], now) -> None:
        envelope_ids = _reserve_ids(Envelope, len(plans))
        participant_ids = _reserve_ids(Participant, 3 * len(plans))
        envelopes, people, events = rows_for(org, plans, envelope_ids, participant_ids, BENCH_EMAIL, now)
        _insert(Envelope, envelopes)
        _insert(Participant, people)
        _insert(EnvelopeEvent, events)

    @staticmethod
    def _analyze() -> None:
        """Fresh planner statistics and visibility maps, as autovacuum would leave them."""
        if connection.vendor != "postgresql":
            return
        # VACUUM cannot run inside a transaction (a test's); ANALYZE alone can.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for model in (Envelope, Participant, EnvelopeEvent, EnvelopeStatusCount, EnvelopeDailyCount):
                cursor.execute(f"{command} {model._meta.db_table}")


def _reserve_ids(model, count: int) -> list[int]:
    """Ids for rows inserted with their id given: from the sequence on PostgreSQL (so later inserts
    never collide), after the largest id elsewhere (the seed is the only writer there)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [model._meta.db_table, count],
            )
            return [row[0] for row in cursor.fetchall()]
    top = model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return list(range(top + 1, top + 1 + count))


def _insert(model, rows: list[dict]) -> None:
    """COPY … FROM STDIN on PostgreSQL (an order of magnitude faster than INSERT); bulk inserts
    elsewhere. Every row gives the same columns (no JSON ones); the others take the model field's
    default, the same for every row."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], batch_size=2000)
        return
    names = list(rows[0])
    fields = {field.attname: field for field in model._meta.concrete_fields}
    rest = [field for name, field in fields.items() if name not in names and not field.primary_key]
    template = model()
    tail = tuple(_copy_value(field, getattr(template, field.attname)) for field in rest)
    columns = ", ".join(f'"{field.column}"' for field in [*(fields[name] for name in names), *rest])
    values = itemgetter(*names)  # a row's given values as a tuple, in C
    with connection.cursor() as cursor, cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(values(row) + tail)


def _copy_value(field, value):
    value = field.get_db_prep_value(value, connection)
    return value.dumps(value.obj) if hasattr(value, "dumps") else value
