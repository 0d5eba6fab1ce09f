"""Background work on envelopes. Tasks are thin: they load by id and call a service."""

from __future__ import annotations

from envelopes.incoming.deliveries import webhook_deliveries_retry, webhook_delivery_apply
from envelopes.incoming.polling import envelopes_sync_due
from envelopes.outgoing.expiry import envelopes_expire_due, expiry_warnings_send
from envelopes.outgoing.reminders import reminders_send_due
from envelopes.outgoing.retention import remote_copies_delete, retention_purge_run
from envelopes.outgoing.sending import envelope_deliver
from envelopes.outgoing.stalled import sends_stalled


def send_envelope(envelope_id: int) -> str:
    return envelope_deliver(envelope_id=int(envelope_id))


def resume_stalled_sends() -> str:
    """Queues again the sends a dead worker took with it (see envelopes.outgoing.stalled)."""
    from django_q.tasks import async_task

    ids = sends_stalled()
    for envelope_id in ids:
        async_task("envelopes.tasks.send_envelope", envelope_id, task_name=f"send envelope {envelope_id} (resumed)")
    return f"resumed {len(ids)} stalled send(s)"


def sync_with_providers() -> str:
    return f"{envelopes_sync_due()} status change(s) from polling"


def send_due_reminders() -> str:
    return f"reminded {reminders_send_due()} participant(s)"


def expire_envelopes() -> str:
    return f"expired {envelopes_expire_due()} envelope(s)"


def warn_before_expiry() -> str:
    return f"warned about {expiry_warnings_send()} envelope(s)"


def retention_purge() -> str:
    """Purges what retention policies say is due, in batches, for at most about a minute (well under
    the queue's task timeout); what is left waits for the next run."""
    return retention_purge_run(seconds=60).summary()


def delete_at_providers(envelope_ids: list[int]) -> str:
    """The provider copies of a purged batch, deleted after the purge has committed (queued by it)."""
    deleted, kept = remote_copies_delete(envelope_ids=[int(pk) for pk in envelope_ids])
    return f"deleted {deleted} envelope(s) at their provider; {kept} not deleted (see their audit trail)"


def apply_webhook_delivery(delivery_id: int) -> str:
    return webhook_delivery_apply(delivery_id=int(delivery_id))


def retry_webhook_deliveries() -> str:
    """Applies deliveries left pending (a worker died, the provider was down while re-reading)."""
    ids = webhook_deliveries_retry()
    for delivery_id in ids:
        webhook_delivery_apply(delivery_id=delivery_id)
    return f"retried {len(ids)} webhook deliveries"
