"""The outbox sender, run in every replica: it delivers the emails that use cases queued.

Each batch goes in three steps, so that no database transaction stays open while SMTP talks:

1. **claim**, in one short transaction: the due rows (PENDING, `next_attempt_at <= now`) are
   selected `FOR UPDATE SKIP LOCKED` on PostgreSQL (other replicas skip them; on SQLite the
   write transaction serializes claimers), and leased: `next_attempt_at = now + lease`,
   `attempts + 1`. A replica that dies mid-batch only delays its rows until the lease ends.
2. **deliver**, outside any transaction: render with the organization's current branding,
   render attachments, build the MIME message (the row's stable Message-ID), send.
3. **record**: SENT with `sent_at`; or `last_error` and a retry: within seconds first (2 s, 5 s,
   15 s, 30 s: most outages are a restart or a blip), then after an exponential backoff with
   jitter, up to `max_attempts` (about a day), then FAILED. An SMTP outage only delays.

Delivery is at least once: an email can go out twice only if the process dies between the
server accepting it and step 3; its unchanged Message-ID lets mail systems drop the copy.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from graphql_api.mail.attachments import render_attachments
from graphql_api.mail.content import RenderError
from graphql_api.mail.layout import Branding
from graphql_api.mail.message import UndeliverableError, build_message
from graphql_api.mail.templates import render_email
from graphql_api.mail.transport import (
    OutgoingEmail,
    Transport,
    TransportUnavailable,
    describe,
    transport_for,
)
from graphql_api.settings import Settings
from models.organization import Organization
from models.outbox import OutboxEmail, OutboxStatus
from models.services.engagement import record_email_sent

logger = logging.getLogger("tradequote.mail")

MAX_ERROR_LENGTH = 2000
BATCH_SIZE = 20


@dataclass(frozen=True)
class RetryPolicy:
    """Quick retries first (2 s, 5 s, 15 s, 30 s), so that a few seconds of SMTP outage delay
    mail by seconds; then exponential backoff: 1 min, 2, 4, … capped at 6 h; ±20 % jitter so
    that a recovering server is not hit by every replica at once; FAILED after 16 attempts
    (about 20 hours)."""

    quick_delays: tuple[float, ...] = (2.0, 5.0, 15.0, 30.0)
    base_delay: float = 60.0
    max_delay: float = 6 * 3600.0
    max_attempts: int = 16
    jitter: float = 0.2
    # How long a claimed row stays invisible to other senders while this one delivers it.
    lease: float = 600.0

    def delay(self, attempts: int, *, transient: bool = True) -> timedelta:
        """The wait after the `attempts`-th failed attempt; a failure that is no blip (a
        template that does not render) goes straight to the backoff."""
        quick = len(self.quick_delays) if transient else 0
        if 1 <= attempts <= quick:
            seconds = self.quick_delays[attempts - 1]
        else:
            seconds = min(self.max_delay, self.base_delay * 2 ** max(0, attempts - 1 - quick))
        seconds *= 1 + random.uniform(-self.jitter, self.jitter)
        return timedelta(seconds=seconds)


def utcnow() -> datetime:
    return datetime.now(UTC)


class OutboxSender:
    """Delivers due outbox rows. Any number of senders may run against one database."""

    def __init__(
        self,
        settings: Settings,
        *,
        policy: RetryPolicy | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.settings = settings
        self.policy = policy or RetryPolicy()
        self.transport = transport or transport_for(settings)
        self._batch = asyncio.Lock()

    async def run_once(self, limit: int = BATCH_SIZE) -> int:
        """Deliver up to `limit` due emails; return how many were sent."""
        _, sent = await self._run_batch(limit)
        return sent

    async def run_forever(self, stop_event: asyncio.Event, interval: float = 1.0) -> None:
        """Deliver until `stop_event` is set: a full batch is followed at once by the next,
        otherwise wait `interval`. Database errors are logged and retried, never raised."""
        while not stop_event.is_set():
            try:
                claimed, _ = await self._run_batch(BATCH_SIZE)
            except Exception:
                logger.exception("outbox sender: batch failed; retrying")
                claimed = 0
            if claimed >= BATCH_SIZE:
                continue
            try:
                await asyncio.wait_for(stop_event.wait(), interval)
            except TimeoutError:
                pass

    async def _run_batch(self, limit: int) -> tuple[int, int]:
        async with self._batch:
            rows = await self._claim(limit)
            if not rows:
                return 0, 0
            organizations = await self._organizations(rows)
            sent = 0
            outage: str | None = None
            try:
                for row in rows:
                    if outage is not None:
                        await self._failed(row, outage)
                        continue
                    try:
                        await self._deliver(row, organizations.get(row.organization_id))
                    except TransportUnavailable as exc:
                        outage = str(exc)
                        await self._failed(row, outage)
                    except UndeliverableError as exc:
                        await self._failed(row, str(exc), permanent=True)
                    except RenderError as exc:
                        await self._failed(row, str(exc), transient=False)
                    except Exception as exc:
                        logger.warning("outbox email %s: %s", row.id, describe(exc), exc_info=True)
                        await self._failed(row, describe(exc))
                    else:
                        await self._sent(row)
                        sent += 1
            finally:
                await self.transport.close()
            return len(rows), sent

    async def _claim(self, limit: int) -> list[OutboxEmail]:
        now = utcnow()
        lease_until = now + timedelta(seconds=self.policy.lease)
        async with in_transaction() as connection:
            rows = (
                await OutboxEmail.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
                .order_by("next_attempt_at", "id")
                .limit(limit)
                .select_for_update(skip_locked=True)
                .using_db(connection)
            )
            if rows:
                await (
                    OutboxEmail.filter(id__in=[row.id for row in rows])
                    .using_db(connection)
                    .update(attempts=F("attempts") + 1, next_attempt_at=lease_until)
                )
        for row in rows:
            row.attempts += 1
            row.next_attempt_at = lease_until
        return list(rows)

    async def _organizations(self, rows: Sequence[OutboxEmail]) -> dict[int | None, Organization]:
        ids = {row.organization_id for row in rows if row.organization_id is not None}
        if not ids:
            return {}
        return {org.id: org for org in await Organization.filter(id__in=ids)}

    async def _deliver(self, row: OutboxEmail, organization: Organization | None) -> None:
        context = row.context if isinstance(row.context, dict) else {}
        fallback_name = str(context.get("organization_name") or "Tradequote")
        rendered = render_email(row.template, row.context, Branding.of(organization, fallback_name))
        attachments = await render_attachments(context)
        message = build_message(
            rendered,
            attachments,
            mail_from=self.settings.mail_from,
            to_address=row.to_address,
            to_name=row.to_name,
            message_id=row.message_id,
            date=utcnow(),
        )
        await self.transport.send(OutgoingEmail(message, row.id, row.created_at))

    async def _sent(self, row: OutboxEmail) -> None:
        now = utcnow()
        async with in_transaction():
            updated = await OutboxEmail.filter(id=row.id, status=OutboxStatus.PENDING).update(
                status=OutboxStatus.SENT, sent_at=now
            )
            context = row.context if isinstance(row.context, dict) else {}
            quote_id = context.get("quote_id")
            if updated and isinstance(quote_id, int) and not row.template.startswith("staff_"):
                await record_email_sent(quote_id, row.to_address, now)

    async def _failed(
        self, row: OutboxEmail, error: str, *, permanent: bool = False, transient: bool = True
    ) -> None:
        now = utcnow()
        give_up = permanent or row.attempts >= self.policy.max_attempts
        status = OutboxStatus.FAILED if give_up else OutboxStatus.PENDING
        delay = self.policy.delay(row.attempts, transient=transient)
        next_attempt = now if give_up else now + delay
        await OutboxEmail.filter(id=row.id, status=OutboxStatus.PENDING).update(
            status=status, next_attempt_at=next_attempt, last_error=error[:MAX_ERROR_LENGTH]
        )
        log = logger.error if give_up else logger.warning
        log(
            "outbox email %s (%s) attempt %s failed%s: %s",
            row.id,
            row.template,
            row.attempts,
            ", giving up" if give_up else "",
            error,
        )
