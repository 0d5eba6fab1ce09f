from django.apps import AppConfig


def _apply_remote_events(sender, provider, events, **kwargs):
    from envelopes.incoming.apply import remote_events_apply

    return remote_events_apply(provider=provider, events=events)


def _answer_audit_head(sender, provider, remote_id, **kwargs):
    from envelopes.incoming.apply import audit_head

    return audit_head(provider=provider, remote_id=remote_id)


class EnvelopesConfig(AppConfig):
    name = "envelopes"
    verbose_name = "Envelopes"

    def ready(self) -> None:
        from providers.signals import audit_head_requested, remote_events

        remote_events.connect(_apply_remote_events, dispatch_uid="envelopes_apply_remote_events")
        audit_head_requested.connect(_answer_audit_head, dispatch_uid="envelopes_audit_head")
