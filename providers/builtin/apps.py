from django.apps import AppConfig


class BuiltinSigningConfig(AppConfig):
    name = "providers.builtin"
    label = "builtin_signing"
    verbose_name = "Paraph signing"
