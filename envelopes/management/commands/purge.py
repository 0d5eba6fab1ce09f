"""Runs the retention purge now (it also runs every hour), or with --dry-run shows what it would do."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from envelopes.outgoing.retention import RetentionPreview, retention_due, retention_purge_run


class Command(BaseCommand):
    help = "Deletes documents and erases personal data that organizations' retention policies say are due."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only show what would be purged.")

    def handle(self, *args, dry_run: bool = False, **options):
        due = retention_due()
        preview = sum(due.values(), RetentionPreview())
        self.stdout.write(
            f"Will purge files of {preview.envelopes_files} envelopes ({preview.files} files) "
            f"and erase personal data of {preview.envelopes_personal} envelopes."
        )
        if dry_run:
            for org, org_due in due.items():
                self.stdout.write(
                    f"  {org.name} ({org.slug}): files of {org_due.envelopes_files} envelopes ({org_due.files} files), "
                    f"personal data of {org_due.envelopes_personal} envelopes"
                )
            return
        report = retention_purge_run(seconds=None)
        self.stdout.write(report.summary())
