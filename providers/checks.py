"""Start-up checks of each provider's settings (each provider says what it needs)."""

from __future__ import annotations

from django.core.checks import Warning, register

from providers.registry import all_providers


@register()
def provider_settings(app_configs, **kwargs):
    return [
        Warning(problem, hint="Set the missing settings or clear the others.", id="paraph.W101")
        for provider in all_providers()
        for problem in provider.settings_problems()
    ]
