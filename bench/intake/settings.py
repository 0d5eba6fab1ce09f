"""Bench-only settings: the portal's own, plus a URL that inserts one row and does nothing else
(the practical ceiling of a Django view on this server and database). Never used in production."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.intake.urls"
