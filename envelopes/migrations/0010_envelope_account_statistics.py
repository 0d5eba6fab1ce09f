"""Statistics on how provider, connection and status go together in envelopes, for PostgreSQL only.

A connection belongs to one provider, but the planner multiplies their selectivities as if they
were independent and expects ten times fewer envelopes per provider account than there are. Signer
tracking filtered to one account then started from the account's envelopes (thousands, joined and
sorted: 90-260 ms at a million) instead of walking participant_waiting in order (20-35 ms)."""

from django.db import migrations

from envelopes.migrations._postgresql import RunSQLOnPostgreSQL


class Migration(migrations.Migration):
    dependencies = [
        ("envelopes", "0009_search_indexes"),
    ]

    operations = [
        RunSQLOnPostgreSQL(
            "CREATE STATISTICS IF NOT EXISTS envelope_account_stats (dependencies, mcv) "
            "ON provider, connection_id, status FROM envelopes_envelope",
            "DROP STATISTICS IF EXISTS envelope_account_stats",
        ),
        # Extended statistics are gathered by the next ANALYZE; until then the planner cannot use them.
        RunSQLOnPostgreSQL("ANALYZE envelopes_envelope", migrations.RunSQL.noop),
    ]
