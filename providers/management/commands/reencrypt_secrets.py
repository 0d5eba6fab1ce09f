"""Re-encrypts every stored secret with the newest key in FIELD_ENCRYPTION_KEYS.

Rotation: put a new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), deploy, run
this command, then drop the old keys.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from portal.kernel.crypto import SecretUnreadable
from providers.models import ProviderConnection
from providers.registry import all_providers


class Command(BaseCommand):
    help = "Re-encrypts provider tokens, webhook secrets and the sealing key with the newest key."

    def handle(self, *args, **options):
        connections = identities = 0
        try:
            secrets = ("pk", "credentials_encrypted", "webhook_secret_encrypted")
            for connection in ProviderConnection.objects.only(*secrets):
                with transaction.atomic():
                    if connection.reencrypt():
                        connection.save(update_fields=["credentials_encrypted", "webhook_secret_encrypted"])
                        connections += 1
            for provider in all_providers():  # each provider's own secrets (built-in: the sealing key)
                with transaction.atomic():
                    identities += provider.secrets_reencrypt()
        except SecretUnreadable as exc:
            self.stderr.write(f"{exc} Nothing after this point was changed; earlier rows already use the new key.")
            raise SystemExit(1) from None
        self.stdout.write(f"Re-encrypted {connections} connection(s) and {identities} sealing identit(y/ies).")
