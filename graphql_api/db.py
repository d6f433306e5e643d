"""The database: Tortoise configuration, start-up, shutdown and migrations."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate as run_migrations

MODEL_MODULES = [
    "models.organization",
    "models.quote",
    "models.buy_order",
    "models.outbox",
    "models.notification",
    "models.engagement",
    "models.portal",
    "models.catalog",
    "models.imei_checks",
    "models.price_grid",
    "models.team",
    "models.audit",
    "models.rate_limit",
    "models.payout",
    "models.inventory",
    "models.revised_offer",
    "models.partners",
]


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": _connection(database_url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "models.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def is_postgres(database_url: str) -> bool:
    return database_url.startswith(("postgres://", "postgresql://", "asyncpg://"))


def _connection(database_url: str) -> str | dict[str, Any]:
    if database_url.startswith("sqlite://") and database_url != "sqlite://:memory:":
        path = database_url.removeprefix("sqlite://")
        return {
            "engine": "tortoise.backends.sqlite",
            "credentials": {
                "file_path": path,
                "journal_mode": "WAL",
                "journal_size_limit": 16384,
                "foreign_keys": "ON",
                "busy_timeout": 10000,
            },
        }
    if is_postgres(database_url):
        config = expand_db_url(database_url)
        config["credentials"]["connection_class"] = pooled_connection_class()
        return config
    return database_url


@functools.cache
def pooled_connection_class() -> type:
    """asyncpg's connections as Tortoise pools them, without the reset on every release.

    Outside a transaction Tortoise takes a connection from the pool for each statement, and
    asyncpg's pool resets a released connection with one more round trip (unlock advisory
    locks, close cursors, unlisten, reset settings): as many round trips as statements, a
    twelfth of the thread view's CPU. Nothing here leaves such state on a pooled connection:
    advisory locks are transaction-scoped (the migration lock and the broker's LISTEN have
    connections of their own), no cursor outlives its transaction and no setting is changed
    for a session. asyncpg still rolls back a transaction left open on release."""
    import asyncpg

    class PooledConnection(asyncpg.Connection):  # type: ignore[misc]
        def get_reset_query(self) -> str:
            return ""

    return PooledConnection


# pg_advisory_lock key of migrations: any number of replicas may start at once, one migrates
# while the others wait, then find nothing left to do.
MIGRATION_LOCK_KEY = 0x7471_6D69  # "tqmi"


async def migrate(database_url: str) -> None:
    """Apply every pending migration, then close the migration connections. Safe from many
    processes at once: they take turns (an advisory lock on PostgreSQL, a file lock on SQLite)."""
    async with migration_lock(database_url):
        try:
            await run_migrations(config=tortoise_config(database_url))
        finally:
            await Tortoise.close_connections()


@contextlib.asynccontextmanager
async def migration_lock(database_url: str) -> AsyncIterator[None]:
    """Held by one process at a time: while it migrates or seeds the database."""
    if is_postgres(database_url):
        import asyncpg

        from graphql_api.pubsub import asyncpg_dsn

        # A session of its own holds the lock while Tortoise's connections migrate.
        connection = await asyncpg.connect(asyncpg_dsn(database_url))
        try:
            await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
            yield
        finally:
            await connection.close()  # ending the session releases the lock
    elif database_url.startswith("sqlite://") and database_url != "sqlite://:memory:":
        lock_path = Path(database_url.removeprefix("sqlite://") + ".migrate-lock")
        with lock_path.open("a") as lock:
            await asyncio.to_thread(fcntl.flock, lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
    else:
        yield


async def connect(database_url: str) -> None:
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close() -> None:
    await Tortoise.close_connections()
