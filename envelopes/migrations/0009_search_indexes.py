"""Trigram indexes for searching envelopes by title and participants by name or e-mail address.

They exist only on PostgreSQL (SQLite searches by reading the rows, which is fine at its sizes) and
are not part of the models' state, so that SQLite's table rebuilds never try to create them. They
are built CONCURRENTLY: envelopes can still be written while they build (a few minutes at a million
envelopes); hence a non-atomic migration."""

from django.db import migrations

from envelopes.migrations._postgresql import RunSQLOnPostgreSQL

# (index, table, indexed expression): Django's icontains on PostgreSQL compares UPPER(column::text),
# so the index is on that expression and the ordinary ORM lookup uses it.
TRIGRAM_INDEXES = [
    ("envelope_title_trgm", "envelopes_envelope", "UPPER(title::text)"),
    ("participant_name_trgm", "envelopes_participant", "UPPER(name::text)"),
    ("participant_email_trgm", "envelopes_participant", "UPPER(email::text)"),
]


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("envelopes", "0008_document_original_sha256"),
    ]

    operations = [
        # pg_trgm is a trusted extension: the database's owner may create it without superuser rights.
        RunSQLOnPostgreSQL("CREATE EXTENSION IF NOT EXISTS pg_trgm", migrations.RunSQL.noop),
        *[
            RunSQLOnPostgreSQL(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} USING gin ({expression} gin_trgm_ops)",
                f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
            )
            for name, table, expression in TRIGRAM_INDEXES
        ],
        # The planner judges how many rows a search term matches from statistics on the indexed
        # expressions, which ANALYZE gathers only once an index exists; without them it guesses.
        RunSQLOnPostgreSQL("ANALYZE envelopes_envelope, envelopes_participant", migrations.RunSQL.noop),
    ]
