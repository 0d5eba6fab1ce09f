from django.apps import AppConfig


class SeedingConfig(AppConfig):
    name = "bench.seeding"
    label = "bench_seeding"
    verbose_name = "Benchmark data"
