"""The database: Tortoise configuration, start-up, shutdown and migrations."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise
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
    return database_url


async def migrate(database_url: str) -> None:
    """Apply every pending migration, then close the migration connections."""
    try:
        await run_migrations(config=tortoise_config(database_url))
    finally:
        await Tortoise.close_connections()


async def connect(database_url: str) -> None:
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close() -> None:
    await Tortoise.close_connections()
