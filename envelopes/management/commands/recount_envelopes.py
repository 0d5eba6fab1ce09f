"""Rebuilds the count tables the dashboards and the envelope list read (envelopes per status, and
what happened per day) from the envelopes themselves: after upgrading to them, or to repair drift."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from envelopes.lifecycle.counts import counts_rebuild
from portal.models import Organization


class Command(BaseCommand):
    help = "Recomputes the dashboard counts of every organization (or one) from its envelopes."

    def add_arguments(self, parser):
        parser.add_argument("--org", metavar="SLUG", help="Only this organization.")

    def handle(self, *args, org: str | None = None, **options):
        orgs = Organization.objects.order_by("id")
        if org is not None:
            orgs = orgs.filter(slug=org)
            if not orgs.exists():
                raise CommandError(f'No organization has the slug "{org}"; check the spelling, or leave out --org.')
        for each in orgs.iterator():
            statuses, days = counts_rebuild(each)
            self.stdout.write(f"{each.name} ({each.slug}): {statuses} status counts, {days} daily counts.")
