"""gunicorn settings for Paraph: `gunicorn portal.wsgi` picks this file up from the working
directory. Each value can be overridden by environment (below) or on the command line."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Processes per machine. Requests spend much of their time waiting on PostgreSQL, so each process
# also runs a few threads; two per core keeps both cores busy without thrashing.
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * (os.cpu_count() or 1)))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# Keep-alive between the proxy (or a provider's webhook sender) and gunicorn saves a TCP handshake
# per request; longer than the proxy's own idle timeout is pointless.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
# Recycle processes now and then, spread out so they never restart together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = max_requests // 10
# The proxy logs requests; gunicorn's access log would be a second write per request.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
