"""Due-reminder selection: the query every reminder sweep starts with (claims.envelopes_due) and the
claim of the next batch (claims.claim_due, as reminders_send_due calls it), without sending anything.
Each claim moves the claimed envelopes' next_reminder_at a lease ahead; the bench puts the exact old
values back after each run, so the seeded data is the same before and after."""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass

from django.utils import timezone

from bench.sweeps import Spread, analyze
from envelopes.lifecycle.claims import claim_due, envelopes_due
from envelopes.models import Envelope, EnvelopeStatus
from envelopes.outgoing.reminders import CLAIM_LEASE, reminders_send_due

FIELD = "next_reminder_at"
# The batch a reminder sweep claims, as the scheduled task runs it.
BATCH = inspect.signature(reminders_send_due).parameters["limit"].default


@dataclass(frozen=True)
class ReminderFigures:
    envelopes: int
    sent: int
    due: int
    batch: int
    plan: str  # the selection's plan nodes, outermost first
    count: Spread
    select: Spread
    claim: Spread


def has_envelopes() -> bool:
    return Envelope.objects.exists()


def reminder_selection(*, runs: int, batch: int = BATCH) -> ReminderFigures:
    """Times counting the due envelopes, selecting the next `batch` and claiming them, `runs` times
    each after one warm-up run."""
    analyze(Envelope)
    now = timezone.now()
    due = envelopes_due(FIELD, now=now)
    plan = due.values_list("pk", FIELD)[:batch].explain()
    counts, selects, claims = [], [], []
    for run in range(runs + 1):
        started = time.perf_counter()
        due_count = due.count()
        counted = time.perf_counter()
        taken = list(due.values_list("pk", FIELD)[:batch])
        selected = time.perf_counter()
        try:
            claimed = list(claim_due(FIELD, now=now, limit=batch, lease=CLAIM_LEASE))
            finished = time.perf_counter()
        finally:
            _restore(taken)
        if len(claimed) != len(taken):
            raise RuntimeError(f"claimed {len(claimed)} of {len(taken)} due envelopes: is a worker running?")
        if run:
            counts.append(counted - started)
            selects.append(selected - counted)
            claims.append(finished - selected)
    return ReminderFigures(
        envelopes=Envelope.objects.count(),
        sent=Envelope.objects.filter(status=EnvelopeStatus.SENT).count(),
        due=due_count,
        batch=batch,
        plan=_shape(plan),
        count=Spread.of(counts),
        select=Spread.of(selects),
        claim=Spread.of(claims),
    )


def _restore(taken: list[tuple[int, object]]) -> None:
    """Puts back the due times the claim moved ahead (the compare-and-set's own column only)."""
    rows = [Envelope(pk=pk, **{FIELD: due_at}) for pk, due_at in taken]
    Envelope.objects.bulk_update(rows, [FIELD], batch_size=500)


def _shape(plan: str) -> str:
    nodes = [line.strip().removeprefix("->").strip() for line in plan.splitlines() if "(cost=" in line]
    return " → ".join(node.split("  (cost=")[0] for node in nodes)
