from django.apps import AppConfig


def _answer_audit_head(sender, provider, remote_id, **kwargs):
    from envelopes.incoming.apply import audit_head

    return audit_head(provider=provider, remote_id=remote_id)


class EnvelopesConfig(AppConfig):
    name = "envelopes"
    verbose_name = "Envelopes"

    def ready(self) -> None:
        from providers.signals import audit_head_requested

        audit_head_requested.connect(_answer_audit_head, dispatch_uid="envelopes_audit_head")
