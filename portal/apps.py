from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _create_cache_table(using="default", **kwargs) -> None:
    # The database cache carries rate limits and worker heartbeats; `migrate` alone sets it up.
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Organizations and people"

    def ready(self) -> None:
        from portal import checks  # noqa: F401 — registers system checks

        post_migrate.connect(_create_cache_table, sender=self, dispatch_uid="paraph_cache_table")
