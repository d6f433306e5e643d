"""The webhook sender, run in every replica beside the email sender, in the same three steps:

1. **claim**, in one short transaction: due PENDING deliveries `FOR UPDATE SKIP LOCKED` (on
   SQLite the write transaction serializes claimers). Of a quote's deliveries to one endpoint
   only the oldest still pending is taken: events of a quote arrive in order. Claimed rows are
   leased (`next_attempt_at = now + lease`, longer than any attempt can take).
2. **deliver**, outside any transaction: the URL checked again after DNS resolution (SSRF), a
   POST of the stored body with Standard Webhooks headers signed at that moment, short timeouts,
   no redirects; only a short excerpt of the answer is kept.
3. **record** the attempt; a 2xx marks it DELIVERED (once: only a PENDING row changes); else a
   retry after exponential backoff, and the quote's later deliveries to that endpoint wait as
   long. After about a day of failures it is FAILED, the endpoint disabled, and the owners are
   told by email. Delivery is at least once: receivers deduplicate by `webhook-id`."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from graphql_api.settings import Settings
from models.negotiation import StaffRole
from models.notification import Notification, NotificationKind
from models.organization import Organization, StaffMember
from models.outbox import enqueue_email
from models.partners import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from models.sealing import Keyring
from models.services.caller import Publisher
from models.services.notifications import organization_topic
from models.services.webhook_urls import UnsafeUrl, check_url
from models.webhook_signing import signature_header

logger = logging.getLogger("tradequote.webhooks")

BATCH_SIZE = 20
EXCERPT = 200
USER_AGENT = "Tradequote-Webhooks/1"


@dataclass(frozen=True)
class RetryPolicy:
    """30 s, 1 min, 2, 4 … capped at 4 h, ±20 % jitter: the 15th failed attempt comes about a
    day after the first, and then the delivery is FAILED."""

    base_delay: float = 30.0
    max_delay: float = 4 * 3600.0
    max_attempts: int = 15
    jitter: float = 0.2
    lease: float = 120.0
    "Seconds to connect, and for the whole answer."
    connect_timeout: float = 3.0
    timeout: float = 10.0

    def delay(self, attempts: int) -> timedelta:
        seconds = min(self.max_delay, self.base_delay * 2 ** max(0, attempts - 1))
        return timedelta(seconds=seconds * (1 + random.uniform(-self.jitter, self.jitter)))


def utcnow() -> datetime:
    return datetime.now(UTC)


async def _excerpt(response: httpx.Response) -> str | None:
    """The start of the answer's body; the rest is never read (a receiver may answer a lot)."""
    head = b""
    async for chunk in response.aiter_bytes():
        head += chunk
        if len(head) >= EXCERPT * 4:
            break
    text = head.decode("utf-8", errors="replace")[:EXCERPT]
    return text or None


class WebhookSender:
    """Delivers due webhook deliveries. Any number of senders may run against one database."""

    def __init__(
        self,
        settings: Settings,
        keys: Keyring,
        *,
        policy: RetryPolicy | None = None,
        bus: Publisher | None = None,
    ) -> None:
        self.settings = settings
        self.keys = keys
        "Where a disabled endpoint's staff notification is published (`notificationAdded`)."
        self.bus = bus
        self.policy = policy or RetryPolicy()
        self._batch = asyncio.Lock()

    async def run_once(self, limit: int = BATCH_SIZE) -> int:
        """Attempt up to `limit` due deliveries; return how many were delivered."""
        async with self._batch:
            claimed = await self._claim(limit)
            if not claimed:
                return 0
            timeout = httpx.Timeout(self.policy.timeout, connect=self.policy.connect_timeout)
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
                results = await asyncio.gather(
                    *(self._attempt(client, *item) for item in claimed), return_exceptions=True
                )
            for result in results:
                if isinstance(result, BaseException):
                    logger.error("webhook attempt failed unexpectedly", exc_info=result)
            return sum(1 for result in results if result is True)

    async def run_forever(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                logger.exception("webhook sender: batch failed; retrying")
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except TimeoutError:
                pass

    async def _claim(
        self, limit: int
    ) -> list[tuple[WebhookDelivery, WebhookEndpoint, WebhookEvent]]:
        now = utcnow()
        async with in_transaction() as connection:
            rows = list(
                await WebhookDelivery.filter(
                    status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__enabled=True
                )
                .order_by("id")
                .limit(limit)
                .select_for_update(skip_locked=True)
                .using_db(connection)
            )
            if not rows:
                return []
            # Only the oldest pending delivery of a quote to an endpoint goes: order per quote.
            quotes = {row.quote_id for row in rows if row.quote_id is not None}
            first: dict[tuple[int, int], int] = {}
            if quotes:
                for other in await WebhookDelivery.filter(
                    status=DeliveryStatus.PENDING, quote_id__in=quotes
                ).using_db(connection).values("id", "endpoint_id", "quote_id"):
                    key = (other["endpoint_id"], other["quote_id"])
                    first[key] = min(first.get(key, other["id"]), other["id"])
            rows = [
                row for row in rows
                if row.quote_id is None or first.get((row.endpoint_id, row.quote_id)) == row.id
            ]  # fmt: skip
            if not rows:
                return []
            lease_until = now + timedelta(seconds=self.policy.lease)
            await (
                WebhookDelivery.filter(id__in=[row.id for row in rows])
                .using_db(connection)
                .update(attempts=F("attempts") + 1, next_attempt_at=lease_until)
            )
        endpoint_ids = {row.endpoint_id for row in rows}
        endpoints = {e.id: e for e in await WebhookEndpoint.filter(id__in=endpoint_ids)}
        events = {e.id: e for e in await WebhookEvent.filter(id__in={r.event_id for r in rows})}
        for row in rows:
            row.attempts += 1
        return [(row, endpoints[row.endpoint_id], events[row.event_id]) for row in rows]

    async def _attempt(
        self,
        client: httpx.AsyncClient,
        row: WebhookDelivery,
        endpoint: WebhookEndpoint,
        event: WebhookEvent,
    ) -> bool:
        started = time.monotonic()
        status: int | None = None
        excerpt: str | None = None
        error: str | None = None
        try:
            await check_url(endpoint.url, allow_private=self.settings.webhook_allow_private)
            timestamp = int(time.time())
            async with client.stream(
                "POST",
                endpoint.url,
                content=event.body.encode(),
                headers={
                    "content-type": "application/json",
                    "user-agent": USER_AGENT,
                    "webhook-id": event.event_id,
                    "webhook-timestamp": str(timestamp),
                    "webhook-signature": signature_header(
                        endpoint.secret, self.keys, event.event_id, timestamp, event.body
                    ),
                },
            ) as response:
                status = response.status_code
                excerpt = await _excerpt(response)
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except UnsafeUrl as problem:
            error = str(problem)
        except httpx.TimeoutException:
            error = "timed out"
        except httpx.HTTPError as problem:
            error = f"{type(problem).__name__}: {problem}"[:300]
        duration = int((time.monotonic() - started) * 1000)
        await WebhookAttempt.create(
            delivery_id=row.id, at=utcnow(), status_code=status, error=error,
            response_excerpt=excerpt, duration_ms=duration,
        )  # fmt: skip
        if error is None:
            await WebhookDelivery.filter(id=row.id, status=DeliveryStatus.PENDING).update(
                status=DeliveryStatus.DELIVERED, delivered_at=utcnow(), last_status=status,
                last_error=None, last_response=excerpt,
            )  # fmt: skip
            return True
        await self._failed(row, endpoint, status, error, excerpt)
        return False

    async def _failed(
        self, row: WebhookDelivery, endpoint: WebhookEndpoint, status: int | None, error: str,
        excerpt: str | None,
    ) -> None:  # fmt: skip
        now = utcnow()
        give_up = row.attempts >= self.policy.max_attempts
        retry_at = now if give_up else now + self.policy.delay(row.attempts)
        async with in_transaction():
            await WebhookDelivery.filter(id=row.id, status=DeliveryStatus.PENDING).update(
                status=DeliveryStatus.FAILED if give_up else DeliveryStatus.PENDING,
                next_attempt_at=retry_at, last_status=status, last_error=error[:500],
                last_response=excerpt,
            )  # fmt: skip
            if row.quote_id is not None and not give_up:
                # the quote's later events to this endpoint wait behind this one
                await WebhookDelivery.filter(
                    endpoint_id=row.endpoint_id, quote_id=row.quote_id,
                    status=DeliveryStatus.PENDING, id__gt=row.id, next_attempt_at__lt=retry_at,
                ).update(next_attempt_at=retry_at)  # fmt: skip
            notice = None
            if give_up:
                notice = await self._disable(endpoint, f"failed for a day: {error}"[:300], now)
        if notice is not None and self.bus is not None:
            await self.bus.publish(
                organization_topic(endpoint.organization_id),
                {"type": "notification", "notificationId": notice.id},
            )
        (logger.error if give_up else logger.warning)(
            "webhook delivery %s attempt %s failed%s: %s",
            row.id, row.attempts, ", giving up" if give_up else "", error,
        )  # fmt: skip

    async def _disable(
        self, endpoint: WebhookEndpoint, reason: str, now: datetime
    ) -> Notification | None:
        """Disable the endpoint and tell the organization's staff in the app and its owners by
        email (in the same transaction); the notification, for publishing after commit."""
        if not await WebhookEndpoint.filter(id=endpoint.id, enabled=True).update(
            enabled=False, disabled_reason=reason
        ):
            return None
        organization = await Organization.get(id=endpoint.organization_id)
        notice = await Notification.create(
            organization_id=organization.id,
            quote_id=None,
            kind=NotificationKind.WEBHOOK_DISABLED,
            message=f"Webhook endpoint {endpoint.url} was disabled: {reason}"[:500],
            created_at=now,
        )
        for owner in await StaffMember.filter(
            organization_id=organization.id, role=StaffRole.OWNER, active=True
        ):
            await enqueue_email(
                template="staff_webhook_disabled", to_address=owner.email, to_name=owner.name,
                organization_id=organization.id, now=now,
                context={"organization_name": organization.name, "url": endpoint.url,
                         "reason": reason, "staff_name": owner.name},
            )  # fmt: skip
        return notice
