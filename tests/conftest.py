"""Shared fixtures: every test that touches the database runs on SQLite and, when
TRADEQUOTE_TEST_POSTGRES_URL is set, on a fresh PostgreSQL database created for this run."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

from graphql_api import db
from graphql_api.app import create_app
from graphql_api.gateway.config import Limits
from graphql_api.gateway.viewer_cache import DEFAULT_TTL
from graphql_api.settings import Settings
from tests.client import Api, Org, make_org
from tests.live import serving
from tests.mailcatcher import catcher  # noqa: F401 - a real SMTP server, as a fixture

POSTGRES_URL = os.environ.get("TRADEQUOTE_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]
"The test app's Stripe webhook secret: tests sign their own events with it."
STRIPE_SECRET = "whsec_test_" + "s" * 24


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def create_postgres_database() -> str:
    name = f"tq_test_{secrets.token_hex(6)}"
    conn = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return _with_database(POSTGRES_URL, name)


async def drop_postgres_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    conn = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def new_database_url(backend: str, tmp_dir: Path) -> str:
    """A migrated, empty database of the given backend."""
    if backend == "postgres":
        url = await create_postgres_database()
    else:
        url = f"sqlite://{tmp_dir / f'tq-{secrets.token_hex(4)}.db'}"
    await db.migrate(url)
    return url


@pytest.fixture(scope="session", params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A migrated database for the whole session, on each backend in turn."""
    url = await new_database_url(request.param, tmp_path_factory.mktemp("db"))
    yield url
    if request.param == "postgres":
        await drop_postgres_database(url)


@pytest.fixture(params=BACKENDS)
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database nothing has migrated yet, on each backend in turn, for real servers."""
    if request.param == "postgres":
        url = await create_postgres_database()
        yield url
        await drop_postgres_database(url)
    else:
        yield f"sqlite://{tmp_path / f'tq-{secrets.token_hex(4)}.db'}"


@pytest.fixture(scope="session")
async def database(database_url: str) -> AsyncIterator[str]:
    """Tortoise connected to the session database. Tests keep apart by making their own
    organization, so nothing needs truncating between them."""
    await db.connect(database_url)
    yield database_url
    await db.close()
    # Tortoise caches compiled INSERTs per connection name; the next backend needs its own.
    EXECUTOR_CACHE.clear()


@pytest.fixture(scope="session")
async def app(database: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Any]:
    """The application on the session database, served in-process (no sweepers: tests drive them).
    Every in-process request comes from one address, so rate limits are off here: the tests of
    rate limits build apps of their own (`tests/test_gateway.py`). Resolved tokens are cached on
    both backends, as on PostgreSQL in production: every change here goes through this process,
    which evicts what it publishes (a test that edits rows behind its back clears the cache)."""
    settings = Settings(
        database_url=database,
        limits=Limits(rate_limits=False),
        auth_cache_seconds=DEFAULT_TTL,
        secret_key="test-secret-key-" + "x" * 32,
        mail_dir=str(tmp_path_factory.mktemp("mail")),
        upload_dir=str(tmp_path_factory.mktemp("uploads")),
        stripe_webhook_secret=STRIPE_SECRET,
    )
    application = create_app(settings, background=False)
    await application.state.broker.start()
    yield application
    await application.state.broker.stop()


@pytest.fixture(scope="session")
async def api(app: Any) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client)


@pytest.fixture(scope="session")
async def live_url(app: Any) -> AsyncIterator[str]:
    """The app served by uvicorn on 127.0.0.1: its ws:// URL, for subscriptions."""
    async with serving(app) as url:
        yield url


@pytest.fixture
async def org(api: Api) -> Org:
    """A fresh organization with an owner, so every test has its own world."""
    return await make_org(api)
