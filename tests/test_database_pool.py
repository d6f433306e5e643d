"""PostgreSQL connections go back to Tortoise's pool without asyncpg's reset round trip: the
statements a request issues are all the round trips it makes."""

from __future__ import annotations

import asyncpg
import pytest
from tortoise import connections

from models.organization import Organization
from tests.conftest import _asyncpg_dsn

RESET = "SELECT pg_advisory_unlock_all()"


async def test_released_connections_are_not_reset(database: str) -> None:
    if not database.startswith("postgres"):
        pytest.skip("asyncpg's pool: PostgreSQL only")
    for _ in range(6):  # each statement outside a transaction takes and releases a connection
        await Organization.filter(slug="no-such-organization-pool-test").count()
    pool = connections.get("default")._pool  # type: ignore[attr-defined]
    pids = [holder._con.get_server_pid() for holder in pool._holders if holder._con is not None]
    assert pids
    observer = await asyncpg.connect(_asyncpg_dsn(database))
    try:
        rows = await observer.fetch(
            "SELECT query FROM pg_stat_activity WHERE pid = any($1::int[]) AND state = 'idle'", pids
        )
    finally:
        await observer.close()
    last = [row["query"] for row in rows]
    assert any("no-such-organization-pool-test" in q or 'FROM "organization"' in q for q in last), last
    assert not [q for q in last if q.startswith(RESET)], last


async def test_a_transaction_left_by_a_statement_does_not_outlive_its_connection(database: str) -> None:
    """What the reset would have cleaned never exists: settings are changed per transaction."""
    if not database.startswith("postgres"):
        pytest.skip("asyncpg's pool: PostgreSQL only")
    connection = connections.get("default")
    async with connection._in_transaction() as transaction:  # type: ignore[attr-defined]
        await transaction.execute_query("SET LOCAL statement_timeout = 1234")
    for _ in range(6):
        _, rows = await connection.execute_query("SHOW statement_timeout")
        assert rows[0]["statement_timeout"] != "1234ms"
