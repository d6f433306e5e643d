"""Live events for GraphQL subscriptions, delivered on every server replica.

A use case publishes a small JSON payload (ids and a few scalars) on a topic such as
`quote:123` after its transaction commits; every subscriber of that topic, on any replica,
receives it and loads the rest itself:

    async with broker.subscribe("quote:123") as events:
        async for event in events:
            if is_resync(event):
                ...  # events may have been missed: reload the state

- `InProcessBroker` serves a single process (the SQLite setup).
- `PostgresBroker` carries events between replicas with PostgreSQL LISTEN/NOTIFY: one
  listening connection per process, one channel, fan-out to local subscribers by topic.

Subscribers receive `{"type": "resync"}` when events may have been missed: after the listener
reconnected, or when the subscriber fell too far behind. Payload dicts are shared between the
subscribers of a topic: treat them as read-only.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
import orjson

from graphql_api.fanout import QUEUE_SIZE, Fanout, Payload, Subscription, is_resync, resync_marker

__all__ = [
    "Broker",
    "InProcessBroker",
    "Payload",
    "PostgresBroker",
    "Subscription",
    "create_broker",
    "is_resync",
    "resync_marker",
]

logger = logging.getLogger(__name__)

CHANNEL = "tradequote_events"
MAX_EVENT_BYTES = 7999  # a NOTIFY payload must be shorter than 8000 bytes
POSTGRES_SCHEMES = ("postgres://", "postgresql://", "asyncpg://", "psycopg://")  # Tortoise's
CONNECTION_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class Broker(Protocol):
    """Carries events from publishers to the subscribers of a topic."""

    "Whether an event published by any process (a replica, a command) reaches this one."
    reaches_every_process: bool

    async def start(self) -> None: ...

    async def stop(self) -> None:
        """Stop delivering; every open subscription ends after its queued events."""

    async def publish(self, topic: str, payload: Payload) -> None: ...

    def subscribe(self, topic: str) -> AbstractAsyncContextManager[AsyncIterator[Payload]]: ...

    @property
    def active_subscriptions(self) -> int: ...


def encode_event(topic: str, payload: Payload) -> str:
    """The compact JSON carried on the channel; ValueError when it is too big for NOTIFY."""
    if is_resync(payload):
        raise ValueError("the resync marker is the broker's own; publish something else")
    message = orjson.dumps({"topic": topic, "data": payload})
    if len(message) > MAX_EVENT_BYTES:
        raise ValueError(
            f"event on {topic!r} is {len(message)} bytes, over the limit of {MAX_EVENT_BYTES}: "
            "publish ids and let subscribers load the rest"
        )
    return message.decode()


def decode_event(message: str) -> tuple[str, Payload]:
    envelope = orjson.loads(message)
    return envelope["topic"], envelope["data"]


class InProcessBroker:
    """Delivers events to subscribers in this process only (a single server)."""

    reaches_every_process = False

    def __init__(self, queue_size: int = QUEUE_SIZE) -> None:
        self._fanout = Fanout(queue_size)
        self._running = False

    @property
    def active_subscriptions(self) -> int:
        return self._fanout.count

    async def start(self) -> None:
        self._fanout.open()
        self._running = True

    async def stop(self) -> None:
        self._running = False
        self._fanout.close()

    async def publish(self, topic: str, payload: Payload) -> None:
        if not self._running:
            raise RuntimeError("the broker is not running")
        # The same encoding and limit as PostgreSQL, so a payload that works here works there.
        self._fanout.dispatch(*decode_event(encode_event(topic, payload)))

    def subscribe(self, topic: str) -> AbstractAsyncContextManager[Subscription]:
        return self._fanout.subscribe(topic)


class PostgresBroker:
    """Delivers events to subscribers on every replica through PostgreSQL LISTEN/NOTIFY.

    One connection per process listens on one channel and hands each event to the local
    subscribers of its topic; publishing runs `pg_notify` on a small separate pool. The
    listener pings its connection, reconnects with capped exponential backoff when it is lost,
    and then sends every subscriber the resync marker.
    """

    reaches_every_process = True

    def __init__(
        self,
        dsn: str,
        *,
        channel: str = CHANNEL,
        queue_size: int = QUEUE_SIZE,
        application_name: str = "tradequote",
        ping_interval: float = 15.0,
        min_backoff: float = 0.1,
        max_backoff: float = 10.0,
    ) -> None:
        self._dsn = dsn
        self._channel = channel
        self._application_name = application_name
        self._ping_interval = ping_interval
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._fanout = Fanout(queue_size)
        self._pool: asyncpg.Pool | None = None
        self._listener: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None

    @property
    def active_subscriptions(self) -> int:
        return self._fanout.count

    async def start(self) -> None:
        if self._supervisor is not None:
            return
        self._fanout.open()
        self._pool = await asyncpg.create_pool(
            self._dsn,
            min_size=1,
            max_size=4,
            server_settings={"application_name": f"{self._application_name}-publisher"},
        )
        try:
            self._listener = await self._listen()
        except BaseException:
            await self._pool.close()
            self._pool = None
            raise
        self._supervisor = asyncio.create_task(
            self._supervise(self._listener), name="pubsub-listener"
        )

    async def stop(self) -> None:
        self._fanout.close()
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.wait({self._supervisor})
            self._supervisor = None
        await self._close_listener()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def publish(self, topic: str, payload: Payload) -> None:
        if self._pool is None:
            raise RuntimeError("the broker is not running")
        message = encode_event(topic, payload)
        await self._pool.execute("SELECT pg_notify($1, $2)", self._channel, message)

    def subscribe(self, topic: str) -> AbstractAsyncContextManager[Subscription]:
        return self._fanout.subscribe(topic)

    async def _listen(self) -> asyncpg.Connection:
        connection = await asyncpg.connect(
            self._dsn,
            timeout=10,
            server_settings={"application_name": f"{self._application_name}-listener"},
        )
        try:
            connection.add_termination_listener(self._on_lost)
            await connection.add_listener(self._channel, self._on_notify)
        except BaseException:
            connection.terminate()
            raise
        return connection

    async def _supervise(self, connection: asyncpg.Connection) -> None:
        while True:
            await self._watch(connection)
            logger.warning("lost the event listener connection; reconnecting")
            await self._close_listener()
            self._listener = connection = await self._reconnect()
            logger.info("event listener reconnected; asking subscribers to resync")
            self._fanout.resync_all()

    async def _watch(self, connection: asyncpg.Connection) -> None:
        """Return once the listening connection is closed or stops answering pings."""
        while not connection.is_closed():
            self._lost.clear()
            try:
                async with asyncio.timeout(self._ping_interval):
                    await self._lost.wait()
                continue
            except TimeoutError:
                pass
            try:
                await connection.fetchval("SELECT 1", timeout=self._ping_interval)
            except Exception as error:
                logger.warning("the event listener connection stopped answering: %r", error)
                return

    async def _reconnect(self) -> asyncpg.Connection:
        delay = self._min_backoff
        while True:
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            try:
                return await self._listen()
            except Exception as error:  # keep trying whatever the cause: never stop listening
                logger.warning("the event listener could not reconnect: %r", error)
            delay = min(delay * 2, self._max_backoff)

    async def _close_listener(self) -> None:
        connection, self._listener = self._listener, None
        if connection is None or connection.is_closed():
            return
        connection.remove_termination_listener(self._on_lost)
        try:
            await connection.close(timeout=5)
        except CONNECTION_ERRORS:
            connection.terminate()
        except BaseException:
            connection.terminate()
            raise

    def _on_lost(self, connection: asyncpg.Connection) -> None:
        self._lost.set()

    def _on_notify(
        self, connection: asyncpg.Connection, pid: int, channel: str, message: str
    ) -> None:
        try:
            topic, data = decode_event(message)
        except (ValueError, KeyError, TypeError):
            logger.error("ignoring a malformed event on channel %s: %.200s", channel, message)
            return
        self._fanout.dispatch(topic, data)


LIBPQ_PARAMS = frozenset(
    {
        "host", "port", "dbname", "database", "user", "password", "passfile", "sslmode",
        "sslcert", "sslkey", "sslrootcert", "sslcrl", "sslpassword", "sslnegotiation",
        "ssl_min_protocol_version", "ssl_max_protocol_version", "target_session_attrs",
        "krbsrvname", "gsslib", "service", "servicefile",
    }
)  # fmt: skip


def asyncpg_dsn(database_url: str) -> str:
    """The DSN asyncpg needs for a Tortoise PostgreSQL URL.

    Tortoise's own query parameters (pool sizes, schema, statement cache...) would reach the
    server as unknown settings, so only libpq's are kept; Tortoise's `ssl` flag becomes
    `sslmode=verify-full`, which is what asyncpg does with `ssl=True`.
    """
    parts = urlsplit(database_url)
    query = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in LIBPQ_PARAMS:
            query.append((key, value))
        elif key == "ssl" and value.lower() in ("1", "true", "yes", "on"):
            query.append(("sslmode", "verify-full"))
    return urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(query), ""))


def create_broker(database_url: str) -> Broker:
    """PostgresBroker for a PostgreSQL database URL, else InProcessBroker (SQLite)."""
    if database_url.startswith(POSTGRES_SCHEMES):
        return PostgresBroker(asyncpg_dsn(database_url))
    return InProcessBroker()
