"""Messages in the thread, cancellation, and expiry: extending a quote's date, and the sweep
that expires overdue quotes."""

from __future__ import annotations

from datetime import datetime, timedelta

from models import negotiation as rules
from models import validation as v
from models.enums import MessageKind
from models.expiry import valid_until
from models.organization import Organization
from models.quote import Quote, ThreadMessage
from models.services import idempotency
from models.services.caller import Caller, Deps
from models.services.journal import (
    check_version,
    conclude,
    lock_quote,
    quote_lines,
    quote_state,
    record,
    unit_of_work,
)
from models.services.mailing import email_customer
from models.services.notifications import NotificationKind, notify_staff


async def send_message(
    deps: Deps, caller: Caller, quote_id: int, body: str, idempotency_key: str | None = None
) -> ThreadMessage:
    """A free-form message from either side; the same key again returns the first message."""
    now = deps.clock()
    key = idempotency.clean_key(idempotency_key)
    text = v.text(body, ["input", "body"], limit=v.MAX_MESSAGE, required=True)
    async with unit_of_work(deps) as pending:
        quote = await lock_quote(caller, quote_id)
        scope = f"message:{quote.id}:{'staff' if caller.is_staff else 'customer'}"
        if (earlier := await idempotency.replay(quote.organization_id, scope, key, text)) is not None:
            return await ThreadMessage.get(id=earlier["messageId"])
        rules.check(quote_state(quote, []), rules.QuoteAction.SEND_MESSAGE, caller.actor, now)
        message, _ = await record(
            quote,
            pending,
            kind=MessageKind.MESSAGE,
            by=caller,
            body=text,
            now=now,
            status_from=quote.status,
        )
        if caller.is_staff and quote.status is not rules.QuoteStatus.DRAFT:
            await email_customer(deps, quote, "staff_message", now, message=text)
        elif not caller.is_staff:
            await notify_staff(
                pending, quote, NotificationKind.CHANGES_REQUESTED, now, message=text
            )
        await idempotency.remember(
            quote.organization_id, scope, key, {"messageId": message.id}, text
        )
    return message


async def cancel_quote(
    deps: Deps, caller: Caller, quote_id: int, reason: str | None = None
) -> Quote:
    """Staff cancel a quote that is not final; the customer is told."""
    now = deps.clock()
    text = v.text(reason, ["input", "reason"], limit=v.MAX_MESSAGE)
    async with unit_of_work(deps) as pending:
        quote = await lock_quote(caller, quote_id)
        lines = await quote_lines(quote)
        outcome = rules.cancel(quote_state(quote, lines), caller.actor, now)
        was_draft = quote.status is rules.QuoteStatus.DRAFT
        await conclude(
            quote,
            lines,
            outcome,
            pending,
            kind=MessageKind.CANCELLATION,
            by=caller,
            body=text,
            now=now,
        )
        if not was_draft:
            await email_customer(deps, quote, "quote_canceled", now, reason=text)
    return quote


async def extend_quote(
    deps: Deps,
    caller: Caller,
    quote_id: int,
    expires_at: datetime | None = None,
    message: str | None = None,
    expected_version: int | None = None,
) -> Quote:
    """Staff move the date of a quote that has not expired yet; the change is in the chain.
    Without a date: the organization's validity days once more, counted from today (or from
    the current last valid day when that is later), to the end of that day."""
    now = deps.clock()
    text = v.text(message, ["input", "message"], limit=v.MAX_MESSAGE)
    async with unit_of_work(deps) as pending:
        quote = await lock_quote(caller, quote_id)
        check_version(quote, expected_version)
        lines = await quote_lines(quote)
        if expires_at is None:
            # the validity days once more, from today or from the current last day if later
            organization = await Organization.get(id=quote.organization_id)
            start = max(now, (quote.expires_at or now) - timedelta(microseconds=1))
            expires_at = valid_until(start, organization.quote_validity_days, organization.time_zone)
        previous = quote.expires_at
        quote.expires_at = rules.extend(quote_state(quote, lines), caller.actor, expires_at, now)
        await record(
            quote,
            pending,
            kind=MessageKind.EXTENSION,
            by=caller,
            body=text,
            now=now,
            status_from=quote.status,
            extra={
                "expiresAt": {
                    "from": previous.isoformat() if previous else None,
                    "to": quote.expires_at.isoformat(),
                }
            },
        )
        if quote.status is not rules.QuoteStatus.DRAFT:
            await email_customer(
                deps,
                quote,
                "quote_extended",
                now,
                message=text,
                expires_at=quote.expires_at.isoformat(),
            )
    return quote


SWEEP_BATCH = 100


async def sweep(deps: Deps) -> int:
    """Expire every overdue quote, a batch at a time, until a batch comes back short."""
    total = 0
    while (expired := await expire_due_quotes(deps)) >= SWEEP_BATCH:
        total += expired
    return total + expired


async def expire_due_quotes(
    deps: Deps, now: datetime | None = None, limit: int = SWEEP_BATCH
) -> int:
    """The server's sweep: open quotes past their expiry become EXPIRED, each with an EXPIRY
    message, a staff notification and an email to the customer. Safe on every replica: a
    quote another sweeper holds is skipped (FOR UPDATE SKIP LOCKED on PostgreSQL), and each
    one is re-checked under its lock, so no quote is expired twice."""
    now = now or deps.clock()
    due = (
        await Quote.filter(status__in=list(rules.EXPIRING_STATUSES), expires_at__lte=now)
        .order_by("expires_at")
        .limit(limit)
        .values_list("id", flat=True)
    )
    expired = 0
    for quote_id in due:
        async with unit_of_work(deps) as pending:
            quote = await Quote.filter(id=quote_id).select_for_update(skip_locked=True).first()
            if quote is None:
                continue
            outcome = rules.expire(quote_state(quote, []), now)
            if outcome is None:
                continue
            await conclude(
                quote, [], outcome, pending, kind=MessageKind.EXPIRY, by=None, body=None, now=now
            )
            await email_customer(deps, quote, "quote_expired", now)
            await notify_staff(pending, quote, NotificationKind.QUOTE_EXPIRED, now)
            expired += 1
    return expired
