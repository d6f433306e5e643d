"""Rate limits per client address and per token, held where every replica sees them.

Each bucket counts requests in fixed windows and judges by a sliding window: the current
window's hits plus the previous window's, weighted by how much of it still overlaps the last
`seconds` (as Cloudflare and Redis's own rate limiters do). Counters live in the database (one
atomic upsert per counted request, on PostgreSQL and SQLite) or, with TRADEQUOTE_REDIS_URL, in
Redis. A refused key is remembered in the process until it may retry, so a flood costs the
database nothing more once refused. When the counters cannot be reached (the database
reconnecting, Redis down), requests are let through: a limit never turns into an outage.

Resolvers apply a bucket in one line: `await limit(info.context, "portal_code")`.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol, TypeVar

from graphql import GraphQLError
from strawberry.exceptions import ConnectionRejectionError
from tortoise import connections

from graphql_api.auth import BadToken
from graphql_api.gateway.config import Limits, Rate

T = TypeVar("T")

log = logging.getLogger(__name__)
BUCKETS = ("anonymous", "failed_auth", "public_mutation", "customer_message", "portal_code")
REMEMBERED_REFUSALS = 10_000
CLEANUP_EVERY = 1_000


class RateLimited(Exception):
    """Too many requests in `bucket`; the client may retry after `retry_after` seconds."""

    def __init__(self, bucket: str, retry_after: int) -> None:
        super().__init__(f"Too many requests ({bucket}); retry after {retry_after} s.")
        self.bucket = bucket
        self.retry_after = retry_after

    def graphql_error(self) -> GraphQLError:
        return GraphQLError(
            str(self),
            extensions={"code": "RATE_LIMITED", "retryAfter": self.retry_after, "bucket": self.bucket},
        )


class Store(Protocol):
    def scope(self) -> object:
        """What the counters belong to (the database or Redis in use): refusals remembered in
        the process hold for it alone."""

    async def count(self, key: str, window: int, seconds: int) -> tuple[int, int]:
        """Add one hit to `key` in `window`; (hits in it, hits in the window before)."""


UPSERT = """
INSERT INTO rate_limit (bucket_key, window_index, hits, previous_hits, expires_at)
VALUES ({0}, {1}, 1, 0, {2})
ON CONFLICT (bucket_key) DO UPDATE SET
  previous_hits = CASE
    WHEN rate_limit.window_index = excluded.window_index THEN rate_limit.previous_hits
    WHEN rate_limit.window_index = excluded.window_index - 1 THEN rate_limit.hits
    ELSE 0 END,
  hits = CASE
    WHEN rate_limit.window_index = excluded.window_index THEN rate_limit.hits + 1
    ELSE 1 END,
  window_index = excluded.window_index,
  expires_at = excluded.expires_at
RETURNING hits, previous_hits
"""


class DatabaseStore:
    """Counters in the `rate_limit` table of the application's database."""

    def __init__(self) -> None:
        self._writes = 0

    def scope(self) -> object:
        connection = connections.get("default")
        return tuple(getattr(connection, name, None) for name in ("filename", "host", "port", "database"))

    async def count(self, key: str, window: int, seconds: int) -> tuple[int, int]:
        connection = connections.get("default")
        postgres = connection.capabilities.dialect == "postgres"
        sql = UPSERT.format(*(("$1", "$2", "$3") if postgres else ("?", "?", "?")))
        expires = (window + 2) * seconds
        rows = await connection.execute_query_dict(sql, [key, window, expires])
        self._writes += 1
        if self._writes % CLEANUP_EVERY == 0:
            await connection.execute_query(
                f"DELETE FROM rate_limit WHERE expires_at < {'$1' if postgres else '?'}",
                [int(time.time())],
            )
        row = rows[0]
        return int(row["hits"]), int(row["previous_hits"])


class RedisStore:
    """Counters in Redis: one key per bucket, key and window, expiring after two windows."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self.url = url
        self.client: Any = redis.from_url(url)

    def scope(self) -> object:
        return self.url

    async def count(self, key: str, window: int, seconds: int) -> tuple[int, int]:
        current = f"tq:rl:{key}:{window}"
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.incr(current)
            pipe.expire(current, seconds * 2)
            pipe.get(f"tq:rl:{key}:{window - 1}")
            hits, _, previous = await pipe.execute()
        return int(hits), int(previous or 0)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int


def judge(rate: Rate, hits: int, previous: int, now: float) -> Verdict:
    """The sliding-window verdict: allowed while hits + previous × overlap ≤ rate.requests."""
    elapsed = (now % rate.seconds) / rate.seconds
    estimate = hits + previous * (1 - elapsed)
    if estimate <= rate.requests:
        return Verdict(True, 0)
    if hits > rate.requests or previous == 0:
        wait = (1 - elapsed) * rate.seconds  # until this window ends
    else:  # until the previous window's weight has fallen far enough
        needed = 1 - (rate.requests - hits) / previous
        wait = (needed - elapsed) * rate.seconds
    return Verdict(False, max(1, math.ceil(wait)))


class RateLimiter:
    def __init__(self, limits: Limits, store: Store | None = None) -> None:
        self.limits = limits
        if store is None:
            store = RedisStore(limits.redis_url) if limits.redis_url else DatabaseStore()
        self.store = store
        self._refused: OrderedDict[tuple[object, str], float] = OrderedDict()

    def check_refused(self, bucket: str, key: str) -> None:
        """RateLimited if this process refused `key` in `bucket` and its wait is not over."""
        until = self._refused.get((self.store.scope(), f"{bucket}:{key}"[:255]))
        if until is not None and time.time() < until:
            raise RateLimited(bucket, max(1, math.ceil(until - time.time())))

    async def hit(self, bucket: str, key: str | None) -> None:
        """Count one request of `key` in `bucket`; RateLimited when it is one too many."""
        if not self.limits.rate_limits or key is None:
            return
        rate: Rate = getattr(self.limits.rates, bucket)
        now = time.time()
        full_key = f"{bucket}:{key}"[:255]
        remembered = (self.store.scope(), full_key)
        until = self._refused.get(remembered)
        if until is not None:
            if now < until:
                raise RateLimited(bucket, max(1, math.ceil(until - now)))
            del self._refused[remembered]
        window = int(now // rate.seconds)
        try:
            hits, previous = await self.store.count(full_key, window, rate.seconds)
        except Exception as error:  # noqa: BLE001 - a limit must not take the API down with it
            log.warning("rate-limit counters unavailable (%s): %s allowed", error, bucket)
            return
        verdict = judge(rate, hits, previous, now)
        if not verdict.allowed:
            self._refused[remembered] = now + verdict.retry_after
            if len(self._refused) > REMEMBERED_REFUSALS:
                self._refused.popitem(last=False)
            raise RateLimited(bucket, verdict.retry_after)


@cache
def limiter_for(limits: Limits) -> RateLimiter:
    """The process's limiter for these limits (one per configuration, shared by the app)."""
    return RateLimiter(limits)


def client_key(context: Any) -> str | None:
    return getattr(context, "client_ip", None)


async def limit(context: Any, bucket: str, key: str | None = None) -> None:
    """Count this request in `bucket` under `key` (default: the client address); a GraphQL
    error RATE_LIMITED with `retryAfter` when over the limit. For resolvers, e.g.
    `await limit(info.context, "portal_code")`."""
    try:
        await limiter_for(context.settings.limits).hit(bucket, key or client_key(context))
    except RateLimited as refused:
        raise refused.graphql_error() from None


async def limit_failed_auth(
    limits: Limits,
    client: str | None,
    authenticate: Callable[[], Awaitable[T]],
    refusals: tuple[type[Exception], ...] = (BadToken,),
) -> T:
    """`authenticate()`, counting each refused token (one of `refusals`) against the client
    address's `failed_auth` bucket. An address over it is refused (RateLimited) without
    looking its token up, until it may retry."""
    limiter = limiter_for(limits)
    if limits.rate_limits and client is not None:
        limiter.check_refused("failed_auth", client)
    try:
        return await authenticate()
    except refusals:
        await limiter.hit("failed_auth", client)
        raise


async def limit_failed_ws_auth(
    limits: Limits, client: str | None, authenticate: Callable[[], Awaitable[T]]
) -> T:
    """`limit_failed_auth` for a WebSocket's `connection_init`: a refused or rate-limited
    token refuses the connection."""
    try:
        return await limit_failed_auth(limits, client, authenticate, (ConnectionRejectionError,))
    except RateLimited as refused:
        raise ConnectionRejectionError({"message": str(refused)}) from None


async def limit_customer_message(context: Any) -> None:
    """sendMessage from a customer counts against the `customer_message` bucket of their link
    (the quote) or portal token (the email); staff messages are not limited."""
    viewer = context.viewer
    if viewer.quote_id is not None:
        await limit(context, "customer_message", f"quote:{viewer.quote_id}")
    elif viewer.customer_email is not None:
        await limit(context, "customer_message", f"portal:{viewer.organization_id}:{viewer.customer_email}")
