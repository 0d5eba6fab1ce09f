"""Recomputes the audit trail's hash chain of every envelope (or the chosen ones) and names
each envelope whose events were changed, removed or cut off after they were recorded."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from envelopes.lifecycle.audit import verify_chain
from envelopes.models import Envelope
from portal.models import Organization

# Envelope ids fetched per round trip; the envelopes themselves are never loaded.
CHUNK_SIZE = 500
# How many broken envelopes the final error names; the lines above it name them all.
NAMED_IN_ERROR = 10


class Command(BaseCommand):
    help = "Checks that no envelope's audit trail was changed after it was recorded; exits 1 if one was."

    def add_arguments(self, parser):
        parser.add_argument(
            "--envelope",
            dest="envelope_ids",
            type=int,
            nargs="+",
            action="extend",
            metavar="ID",
            help="Check only these envelopes (by id).",
        )
        parser.add_argument("--org", metavar="SLUG", help="Check only the envelopes of this organization.")

    def handle(self, *args, envelope_ids: list[int] | None = None, org: str | None = None, **options):
        envelopes = Envelope.objects.order_by("id")
        if org is not None:
            if not Organization.objects.filter(slug=org).exists():
                raise CommandError(f'No organization has the slug "{org}"; check the spelling, or leave out --org.')
            envelopes = envelopes.filter(org__slug=org)
        if envelope_ids:
            envelopes = envelopes.filter(id__in=envelope_ids)
            missing = sorted(set(envelope_ids) - set(envelopes.values_list("id", flat=True)))
            if missing:
                where = f' in "{org}"' if org is not None else ""
                ids = f"the id {missing[0]}" if len(missing) == 1 else f"the ids {', '.join(map(str, missing))}"
                raise CommandError(f"No envelope{where} has {ids}; check the ids and try again.")

        checked, broken = 0, []
        for envelope_id, title in envelopes.values_list("id", "title").iterator(chunk_size=CHUNK_SIZE):
            checked += 1
            report = verify_chain(envelope=Envelope(id=envelope_id, title=title))
            if report.ok:
                continue
            where = f"event {report.broken_event_id} " if report.broken_event_id is not None else ""
            self.stdout.write(f"Envelope {envelope_id} ({title}): {where}{report.problem}")
            broken.append(f"{envelope_id} (at event {report.broken_event_id})" if where else f"{envelope_id}")

        noun = "envelope" if checked == 1 else "envelopes"
        self.stdout.write(f"Checked {checked} {noun}, {len(broken)} broken.")
        if broken:
            named = ", ".join(broken[:NAMED_IN_ERROR])
            if len(broken) > NAMED_IN_ERROR:
                named += f" and {len(broken) - NAMED_IN_ERROR} more"
            raise CommandError(
                f"The audit trail of {'envelope' if len(broken) == 1 else 'envelopes'} {named} no longer matches "
                "its hashes; compare those events with a backup to find what changed."
            )
