"""A scale-out run on one machine standing in for several: three gunicorn web servers and three
django-q2 clusters on the Redis broker, all on one PostgreSQL database, under a load of sends
(Paraph signing and Formify), webhooks at a steady rate and dashboard readers at once; a worker
cluster is killed with SIGKILL mid-run and restarted, and Formify answers 5xx and 429 for a
spell. Then it checks what must hold whatever happened. Run `python bench/scaleout --help`."""
