"""Sends whose task was lost. With Redis as the queue broker, a task a worker has taken (or fetched
ahead) is gone if that worker's machine dies: Redis keeps no record of it. The envelope would then
sit in queued or sending for ever. A sweep queues the send again for envelopes that have waited
longer than any live task could take; sending claims the envelope with a compare-and-set and
resumes from its checkpoint, so a send queued twice still sends once."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from envelopes.models import Envelope, EnvelopeStatus

# A send that failed for a passing reason waits for its retry (a schedule of its own) at most this
# long before it counts as lost too.
LONGEST_BACKOFF = timedelta(hours=1)


def sends_stalled(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Ids of envelopes whose send task must have been lost, oldest first."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.Q_CLUSTER["timeout"] + 60)
    never_failed = Q(remote_state__transient_failures__isnull=True) | Q(remote_state__transient_failures=0)
    lost = Q(status=EnvelopeStatus.SENDING) | Q(status=EnvelopeStatus.QUEUED) & (
        never_failed | Q(updated_at__lt=stale_before - LONGEST_BACKOFF)
    )
    stalled = Envelope.objects.filter(lost, updated_at__lt=stale_before).order_by("updated_at")
    return list(stalled.values_list("pk", flat=True)[:limit])
