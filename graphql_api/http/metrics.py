"""Prometheus metrics at GET /metrics, in the text exposition format.

Per process: each server process counts what it serves (the default registry, with the
`process_*` and `python_*` metrics of prometheus-client). Run one server process per replica
(scale with replicas, as the compose file does) and let Prometheus scrape every replica; with
`serve --workers N` a scrape reads whichever worker answers it. Sums over replicas
(`sum by (operation) (rate(tradequote_graphql_operations_total[5m]))`) give the service's figures.

What is a state rather than a count — open WebSockets, active subscriptions, the outbox, the
database pool — is read when /metrics is scraped, so it is exact at that moment.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder
from starlette.requests import Request
from starlette.responses import Response
from tortoise import connections
from tortoise.queryset import QuerySet

from graphql_api.gateway.admission import Admission
from graphql_api.live import Live
from models.outbox import OutboxEmail, OutboxStatus
from models.partners import DeliveryStatus, WebhookDelivery

log = logging.getLogger("tradequote.metrics")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SCRAPE_QUERY_TIMEOUT = 2.0

GRAPHQL_OPERATIONS = Counter(
    "tradequote_graphql_operations",
    "GraphQL operations served, by operation name, type and outcome (ok, user_error: the "
    "payload's userErrors refused it, client_error: a GraphQL error the client caused, "
    "server_error: a fault). Subscriptions are counted when they end.",
    ["operation", "type", "outcome"],
)
GRAPHQL_DURATION = Histogram(
    "tradequote_graphql_operation_duration_seconds",
    "Time to parse, validate and execute a query or mutation, by operation name and type.",
    ["operation", "type"],
    buckets=LATENCY_BUCKETS,
)
GRAPHQL_ERRORS = Counter(
    "tradequote_graphql_errors",
    "GraphQL errors by extensions.code (INTERNAL_SERVER_ERROR for faults, "
    "GRAPHQL_PARSE_FAILED and GRAPHQL_VALIDATION_FAILED for documents that cannot run).",
    ["code"],
)
HTTP_REQUESTS = Counter(
    "tradequote_http_requests",
    "HTTP requests by method, route (its template: /q/{token}, never the token) and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "tradequote_http_request_duration_seconds",
    "Time from receiving an HTTP request to the end of its response, by method and route.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
WEBSOCKET_CONNECTIONS = Gauge(
    "tradequote_websocket_connections", "Open GraphQL WebSocket connections on this process."
)
SUBSCRIPTIONS = Gauge("tradequote_subscriptions", "Active GraphQL subscriptions on this process.")
OUTBOX_PENDING = Gauge("tradequote_outbox_pending_emails", "Emails waiting in the outbox.")
OUTBOX_OLDEST = Gauge(
    "tradequote_outbox_oldest_pending_age_seconds",
    "Age of the oldest email waiting in the outbox (0 when none waits).",
)
OUTBOX_FAILED = Gauge(
    "tradequote_outbox_failed_emails", "Emails the outbox gave up on after every retry."
)
WEBHOOKS_PENDING = Gauge(
    "tradequote_webhook_pending_deliveries", "Webhook deliveries waiting or being retried."
)
WEBHOOKS_OLDEST = Gauge(
    "tradequote_webhook_oldest_pending_age_seconds",
    "Age of the oldest webhook delivery waiting (0 when none waits).",
)
WEBHOOKS_FAILED = Gauge(
    "tradequote_webhook_failed_deliveries", "Webhook deliveries given up on after a day."
)
DATABASE_UP = Gauge(
    "tradequote_database_up", "1 when the last scrape could query the database, else 0."
)
DB_POOL_IN_USE = Gauge(
    "tradequote_db_pool_connections_in_use", "Database connections lent out right now."
)
DB_POOL_OPEN = Gauge("tradequote_db_pool_connections_open", "Database connections open.")
DB_POOL_MAX = Gauge("tradequote_db_pool_connections_max", "The pool's largest size.")
REQUESTS_IN_PROGRESS = Gauge(
    "tradequote_graphql_requests_in_progress", "GraphQL requests over HTTP being worked on."
)
REQUESTS_WAITING = Gauge(
    "tradequote_graphql_requests_waiting", "GraphQL requests over HTTP waiting for their turn."
)
EXPIRY_SWEEPS = Counter(
    "tradequote_expiry_sweeps", "Runs of the expiry sweeper, by outcome (ok or error).", ["outcome"]
)
QUOTES_EXPIRED = Counter("tradequote_quotes_expired", "Quotes the sweeper expired.")
EXPIRY_LAST_RUN = Gauge(
    "tradequote_expiry_last_sweep_timestamp_seconds", "When the sweeper last finished a run."
)

# Operation names come from clients: only names of a sane shape become label values, and only
# the first MAX_OPERATION_NAMES distinct ones (the app's own documents); the rest count as
# "other", so that no client can grow the metrics without bound.
MAX_OPERATION_NAMES = 200
OPERATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_known_operations: set[str] = set()


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    if name in _known_operations:
        return name
    if OPERATION_NAME.fullmatch(name) and len(_known_operations) < MAX_OPERATION_NAMES:
        _known_operations.add(name)
        return name
    return "other"


async def counted_sweep(sweep: Callable[[], Awaitable[int]]) -> int:
    """Run one expiry sweep, counting it and the quotes it expired."""
    try:
        expired = await sweep()
    except Exception:
        EXPIRY_SWEEPS.labels("error").inc()
        raise
    EXPIRY_SWEEPS.labels("ok").inc()
    QUOTES_EXPIRED.inc(expired)
    EXPIRY_LAST_RUN.set(time.time())
    return expired


async def _read_backlog(
    pending: QuerySet[Any], failed: QuerySet[Any], gauges: tuple[Gauge, Gauge, Gauge]
) -> None:
    """How many rows wait, the age of the oldest, how many were given up on."""
    waiting, oldest_age, given_up = gauges
    waiting.set(await pending.count())
    oldest = await pending.order_by("created_at").first().values_list("created_at", flat=True)
    age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0  # type: ignore[operator]
    oldest_age.set(max(0.0, age))
    given_up.set(await failed.count())


async def _read_outbox() -> None:
    await _read_backlog(
        OutboxEmail.filter(status=OutboxStatus.PENDING),
        OutboxEmail.filter(status=OutboxStatus.FAILED),
        (OUTBOX_PENDING, OUTBOX_OLDEST, OUTBOX_FAILED),
    )
    await _read_backlog(
        WebhookDelivery.filter(status=DeliveryStatus.PENDING),
        WebhookDelivery.filter(status=DeliveryStatus.FAILED),
        (WEBHOOKS_PENDING, WEBHOOKS_OLDEST, WEBHOOKS_FAILED),
    )


def _read_pool() -> None:
    """asyncpg's pool on PostgreSQL; SQLite has one connection, in use while its lock is held.
    (Both read from Tortoise's clients, whose pools have no public accessors.)"""
    client = connections.get("default")
    pool = getattr(client, "_pool", None)
    if pool is not None:
        open_ = pool.get_size()
        DB_POOL_OPEN.set(open_)
        DB_POOL_IN_USE.set(open_ - pool.get_idle_size())
        DB_POOL_MAX.set(getattr(client, "pool_maxsize", open_))
        return
    lock = getattr(client, "_lock", None)
    DB_POOL_OPEN.set(1 if getattr(client, "_connection", None) is not None else 0)
    DB_POOL_IN_USE.set(1 if lock is not None and lock.locked() else 0)
    DB_POOL_MAX.set(1)


def metrics_endpoint(live: Live, admission: Admission) -> Callable[[Request], Awaitable[Response]]:
    async def metrics(request: Request) -> Response:
        WEBSOCKET_CONNECTIONS.set(len(live.connections))
        REQUESTS_IN_PROGRESS.set(admission.in_progress)
        REQUESTS_WAITING.set(admission.waiting)
        SUBSCRIPTIONS.set(live.subscriptions)
        try:
            _read_pool()
            await asyncio.wait_for(_read_outbox(), SCRAPE_QUERY_TIMEOUT)
        except Exception as error:  # the scrape itself must not fail: say the database is down
            log.debug("metrics: the database did not answer (%s)", type(error).__name__)
            DATABASE_UP.set(0)
        else:
            DATABASE_UP.set(1)
        # the format the scraper asks for (OpenMetrics, or Prometheus text 0.0.4 by default)
        encode, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encode(REGISTRY), headers={"Content-Type": content_type})

    return metrics
