"""Messages in the thread, cancellation, and expiry."""

from __future__ import annotations

from models import negotiation as rules
from models import validation as v
from models.enums import MessageKind
from models.quote import Quote, ThreadMessage
from models.services import idempotency
from models.services.caller import Caller, Deps
from models.services.journal import (
    conclude,
    lock_quote,
    quote_lines,
    quote_state,
    record,
    unit_of_work,
    utcnow,
)
from models.services.mailing import email_customer
from models.services.notifications import NotificationKind, notify_staff


async def send_message(
    deps: Deps, caller: Caller, quote_id: int, body: str, idempotency_key: str | None = None
) -> ThreadMessage:
    """A free-form message from either side; the same key again returns the first message."""
    now = utcnow()
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
    now = utcnow()
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


async def expire_due_quotes(deps: Deps, limit: int = 100) -> int:
    """The server's sweep: open quotes past their expiry become EXPIRED. Safe on every replica:
    each quote is locked and re-checked, so two sweepers never expire one quote twice."""
    now = utcnow()
    due = (
        await Quote.filter(status__in=list(rules.EXPIRING_STATUSES), expires_at__lte=now)
        .order_by("expires_at")
        .limit(limit)
        .values_list("id", flat=True)
    )
    expired = 0
    for quote_id in due:
        async with unit_of_work(deps) as pending:
            quote = await Quote.filter(id=quote_id).select_for_update().first()
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
