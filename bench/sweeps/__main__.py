"""Background sweeps at scale, on the PostgreSQL database DATABASE_URL points at (`make bench`):

- due-reminder selection over the envelopes `manage.py seed_bench` made (count due, select and claim
  the next batch, as the reminder task does, without sending);
- a retention purge of N finished envelopes (files and personal data due) in an organization of
  the bench's own, created and dropped on every run: total time, envelopes/s, batches, transaction
  lengths, the longest lock held on the envelopes table and the latency of an unrelated write.

    .venv/bin/python bench/sweeps [--runs 25] [--purge 100000] [--batch-size 200] [--sample-ms 20]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SEED_HINT = "`manage.py migrate` and `manage.py seed_bench --envelopes 1000000` with the same DATABASE_URL"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="bench/sweeps", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=25, help="timed runs of the reminder selection (default 25)")
    parser.add_argument("--purge", type=int, default=100_000, help="envelopes to purge; 0 skips (default 100000)")
    parser.add_argument("--batch-size", type=int, default=None, help="purge batch (default: the service's)")
    parser.add_argument(
        "--sample-ms",
        type=float,
        default=20,
        help="lock sampling interval; 0 turns sampling and the write probe off (default 20 ms, which costs "
        "the purge about 7%% of its speed on two cores)",
    )
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.db import DatabaseError, connection

    if connection.vendor != "postgresql":
        print("Sweeps skipped: they need PostgreSQL (DATABASE_URL=postgres://… to a database of their own).")
        return
    from bench.sweeps import reminders

    try:
        seeded = reminders.has_envelopes()
    except DatabaseError:
        seeded = False  # not even migrated
        connection.close()
    if not seeded:
        print(f"Sweeps skipped: no benchmark data on this database (run {SEED_HINT}).")
        return
    print(f"PostgreSQL {_settings(connection)}")
    if args.runs:
        _reminders(reminders.reminder_selection(runs=args.runs))
    if args.purge:
        from bench.sweeps import purge

        others = purge.other_policies()
        if others:
            print(
                f"Purge skipped: it would also purge {', '.join(others)} (retention policy set); use a bench database."
            )
            return
        batch = args.batch_size or purge.BATCH
        print(f"Retention purge of {args.purge:,} envelopes, batches of {batch}:")
        _purge(purge.purge_measure(envelopes=args.purge, batch_size=batch, sample_ms=args.sample_ms))


def _settings(connection) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('server_version'), current_setting('synchronous_commit'), "
            "current_setting('shared_buffers')"
        )
        version, sync, buffers = cursor.fetchone()
    return f"{version}, synchronous_commit={sync}, shared_buffers={buffers}, {os.cpu_count()} CPUs"


def _reminders(figures) -> None:
    print(
        f"Due-reminder selection: {figures.envelopes:,} envelopes, {figures.sent:,} out for signature, "
        f"{figures.due:,} due now; {figures.count.n} runs after ANALYZE"
    )
    print(f"  plan: {figures.plan}")
    print(f"  count due              {figures.count.ms()}")
    print(f"  select next {figures.batch:<4}       {figures.select.ms()}")
    print(f"  claim next {figures.batch:<4}        {figures.claim.ms()}   (one transaction, SKIP LOCKED)")


def _purge(figures) -> None:
    from bench.sweeps import Spread

    seeded, report = figures.seeded, figures.report
    print(
        f"  due: files of {figures.due.envelopes_files:,} envelopes ({figures.due.files:,} files), personal data "
        f"of {figures.due.envelopes_personal:,}; {seeded.files:,} files on disk incl. the provider's copies"
    )
    print(
        f"  total {figures.seconds:.1f} s, {figures.rate:.0f} envelopes/s, {len(figures.batches)} batches "
        f"(per batch {figures.batch_spread().ms()})"
    )
    print(f"  {report.summary()}")
    if figures.remote_tasks:
        print(
            f"  then the {figures.remote_tasks} provider-deletion tasks it queued, run one after another: "
            f"{figures.remote_seconds:.1f} s, {figures.remote_deleted:,} copies deleted "
            f"({figures.remote_deleted / figures.remote_seconds:.0f}/s)"
        )
    check = "OK" if _complete(figures) else "INCOMPLETE"
    print(
        f"  check {check}: nothing left due: {figures.left.is_empty}, files left {figures.files_left}, "
        f"proof events {figures.proofs:,}, sampled audit chains verify: {figures.chains_ok}, "
        f"unrelated envelope untouched: {figures.probe_untouched}"
    )
    print("  transactions of the purge (outermost; wall time, then from the first row lock to the commit), ms:")
    for label, durations in sorted(figures.transactions.items(), key=lambda item: -max(item[1])):
        whole, locked = Spread.of(durations), Spread.of(figures.row_locks.get(label, []))
        print(
            f"    {label:<60} n {whole.n:>7,}  p50 {whole.p50 * 1000:6.1f}  p95 {whole.p95 * 1000:6.1f}  "
            f"max {whole.max * 1000:6.1f} | row locks p95 {locked.p95 * 1000:6.1f}  max {locked.max * 1000:6.1f}"
        )
    batches = next((d for label, d in figures.transactions.items() if label.endswith(".retention_purge_batch")), [])
    if len(batches) > 1:
        print(f"  batch transaction: first {batches[0] * 1000:.0f} ms, last {batches[-1] * 1000:.0f} ms")
    if figures.sampler is not None:
        sampler = figures.sampler
        ages = Spread.of(list(sampler.ages.values()))
        print(
            f"  longest lock held on {_table()} (pg_locks × pg_stat_activity, {sampler.samples:,} samples): "
            f"{ages.max * 1000:.1f} ms; p95 {ages.p95 * 1000:.1f} ms over {ages.n:,} lock-holding transactions seen; "
            f"most sessions waiting for a lock in one sample: {sampler.most_waiting}"
        )
        print(f"  unrelated UPDATE during the purge: n {len(figures.probe):,}  {Spread.of(figures.probe).ms()}")


def _complete(figures) -> bool:
    report = figures.report
    done = report.envelopes_files == report.envelopes_personal == figures.remote_deleted == figures.seeded.envelopes
    return done and figures.left.is_empty and not figures.files_left and figures.chains_ok and figures.probe_untouched


def _table() -> str:
    from envelopes.models import Envelope

    return Envelope._meta.db_table


if __name__ == "__main__":
    main()
