"""Benchmark data: `manage.py seed_bench` fills a database with organizations, envelopes,
participants and events at the volumes `make bench` measures. Kept out of the domain app."""
