"""The tables dashboards and the list's chips read instead of counting envelopes: current
envelopes per status, and what happened per day. Written only by `envelopes.lifecycle.counts`, in the same
transaction as the change they count; `manage.py recount_envelopes` rebuilds them.

Kept apart from `envelopes.models` (which imports them) because they hold numbers about
envelopes, not envelopes.
"""

from __future__ import annotations

from django.db import models

from portal.models import Organization


class EnvelopeStatusCount(models.Model):
    """How many envelopes an organization has in `status`, per provider account. Drafts are counted
    once per organization (provider "" and no connection): their provider may still change."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=40, blank=True)
    # The ProviderConnection's id, 0 for none (Paraph signing): a plain number so that the unique
    # key below also holds for "no connection" on every database.
    connection_key = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10)
    n = models.IntegerField(default=0)

    org_path = "org"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "provider", "connection_key", "status"], name="status_count_key")
        ]

    def __str__(self) -> str:
        return f"{self.status}: {self.n}"


class EnvelopeDailyCount(models.Model):
    """How many envelopes were sent, completed, declined, voided or expired on `day` (local date),
    per provider account; and, for the whole organization (no provider), how many completions took
    how long (kind "took", `bucket` from `envelopes.lifecycle.counts.DURATION_EDGES`), from which a median time
    to complete is read off. The bucket is 0 for the other kinds."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    provider = models.CharField(max_length=40, blank=True)
    connection_key = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=10)
    bucket = models.PositiveSmallIntegerField(default=0)
    n = models.IntegerField(default=0)

    org_path = "org"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "day", "provider", "connection_key", "kind", "bucket"], name="daily_count_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}: {self.n}"
