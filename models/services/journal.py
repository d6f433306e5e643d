"""What every quote action shares: the transaction, the row lock, the rule state, and the
journal entry (thread message, line changes, chained event) that the action leaves behind."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from tortoise.transactions import in_transaction

from models import chain
from models import negotiation as rules
from models.enums import Author, MessageKind
from models.errors import DomainError, ErrorCode
from models.quote import Acceptance, LineChange, Quote, QuoteEvent, QuoteLine, ThreadMessage
from models.services.caller import Caller, Deps
from models.services.faults import note_commit

log = logging.getLogger(__name__)

Pending = list[tuple[str, dict[str, Any]]]


def utcnow() -> datetime:
    return datetime.now(UTC)


def quote_topic(quote_id: int) -> str:
    return f"quote:{quote_id}"


@asynccontextmanager
async def unit_of_work(deps: Deps) -> AsyncIterator[Pending]:
    """One transaction; what it queued for subscribers is published only once it committed."""
    pending: Pending = []
    async with in_transaction():
        yield pending
        note_commit()
    for topic, payload in pending:
        try:
            await deps.bus.publish(topic, payload)
        except Exception:  # a lost push must not undo a committed action
            log.exception("publishing %s failed", topic)


def can_see(caller: Caller, quote: QuoteLike) -> bool:
    """Row-level scope: staff see their organization, a link its quote, a portal its email."""
    if caller.is_staff:
        return quote.organization_id == caller.organization_id
    if caller.quote_id is not None:
        return quote.id == caller.quote_id and quote.status is not rules.QuoteStatus.DRAFT
    if caller.customer_email is not None:
        return (
            quote.organization_id == caller.organization_id
            and quote.contact_email is not None
            and quote.contact_email.lower() == caller.customer_email.lower()
            and quote.status is not rules.QuoteStatus.DRAFT
        )
    return False


async def lock_quote(caller: Caller, quote_id: int, field: str = "quoteId") -> Quote:
    """The quote, row-locked until the transaction ends; NOT_FOUND if the caller may not see it."""
    caller.actor  # noqa: B018 - raises Unauthenticated for anonymous callers
    quote = await Quote.filter(id=quote_id).select_for_update().first()
    if quote is None or not can_see(caller, quote):
        raise DomainError(ErrorCode.NOT_FOUND, "no such quote", ["input", field])
    return quote


async def quote_lines(quote: Quote) -> list[QuoteLine]:
    return await QuoteLine.filter(quote_id=quote.id).order_by("position")


class LineLike(Protocol):
    """A line as a row or as a read record: what the rules need of it."""

    id: int
    status: rules.LineStatus
    awaiting: rules.Party | None
    customer_price: Decimal | None
    merchant_offer: Decimal | None
    agreed_price: Decimal | None
    accepted_by: rules.Party | None


class QuoteLike(Protocol):
    """A quote as a row or as a read record: what the rules and the row scope need of it."""

    id: int
    organization_id: int
    status: rules.QuoteStatus
    source: rules.QuoteSource
    contact_email: str | None
    expires_at: datetime | None
    recallable: bool


def line_state(line: LineLike) -> rules.Line:
    return rules.Line(
        id=line.id,
        status=line.status,
        awaiting=line.awaiting,
        customer_price=line.customer_price,
        merchant_offer=line.merchant_offer,
        agreed_price=line.agreed_price,
        accepted_by=line.accepted_by,
    )


def quote_state(quote: QuoteLike, lines: Sequence[LineLike]) -> rules.QuoteState:
    return rules.QuoteState(
        status=quote.status,
        source=quote.source,
        lines=tuple(line_state(line) for line in lines),
        expires_at=quote.expires_at,
        recallable=quote.recallable,
    )


def check_version(quote: Quote, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != quote.version:
        raise DomainError(
            ErrorCode.STALE_VERSION,
            f"the quote changed meanwhile (now version {quote.version})",
            ["input", "expectedVersion"],
        )


async def save_lines(lines: Sequence[QuoteLine], outcome: rules.Outcome) -> None:
    """Write the lines whose rule state changed."""
    after = {line.id: line for line in outcome.lines}
    for row in lines:
        new = after[row.id]
        if new == line_state(row):
            continue
        row.status = new.status
        row.awaiting = new.awaiting
        row.customer_price = new.customer_price
        row.merchant_offer = new.merchant_offer
        row.agreed_price = new.agreed_price
        row.accepted_by = new.accepted_by
        await row.save(
            update_fields=[
                "status",
                "awaiting",
                "customer_price",
                "merchant_offer",
                "agreed_price",
                "accepted_by",
            ]
        )


def _price(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def line_snapshot(line: rules.Line) -> dict[str, Any]:
    return {
        "id": line.id,
        "status": line.status.value,
        "awaiting": line.awaiting.value if line.awaiting else None,
        "customerPrice": _price(line.customer_price),
        "merchantOffer": _price(line.merchant_offer),
        "agreedPrice": _price(line.agreed_price),
        "acceptedBy": line.accepted_by.value if line.accepted_by else None,
    }


def snapshot_line(data: dict[str, Any]) -> rules.Line:
    def dec(key: str) -> Decimal | None:
        return None if data[key] is None else Decimal(data[key])

    return rules.Line(
        id=data["id"],
        status=rules.LineStatus(data["status"]),
        awaiting=rules.Party(data["awaiting"]) if data["awaiting"] else None,
        customer_price=dec("customerPrice"),
        merchant_offer=dec("merchantOffer"),
        agreed_price=dec("agreedPrice"),
        accepted_by=rules.Party(data["acceptedBy"]) if data["acceptedBy"] else None,
    )


# ------------------------------------------------------------------ the journal


def message_part(message: ThreadMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "kind": message.kind.value,
        "author": message.author.value,
        "authorName": message.author_name,
        "body": message.body,
        "at": message.created_at.isoformat(),
    }


def change_part(change: LineChange) -> dict[str, Any]:
    return {
        "id": change.id,
        "lineId": change.line_id,
        "by": change.by.value,
        "action": change.action.value,
        "price": _price(change.price),
    }


def signature_part(acceptance: Acceptance) -> dict[str, Any]:
    return {
        "name": acceptance.signer_name,
        "email": acceptance.signer_email,
        "consent": acceptance.consent,
        "signedAt": acceptance.signed_at.isoformat(),
        "clientIp": acceptance.client_ip,
        "userAgent": acceptance.user_agent,
        "terms": acceptance.terms,
    }


async def append_event(quote: Quote, payload: dict[str, Any], now: datetime) -> QuoteEvent:
    seq = quote.event_count + 1
    body = {"seq": seq, **payload}
    event_hash = chain.link(quote.last_hash, body)
    event = await QuoteEvent.create(
        quote_id=quote.id,
        seq=seq,
        payload=body,
        prev_hash=quote.last_hash,
        hash=event_hash,
        created_at=now,
    )
    quote.event_count = seq
    quote.last_hash = event_hash
    return event


async def record(
    quote: Quote,
    pending: Pending,
    *,
    kind: MessageKind,
    by: Caller | None,
    body: str | None,
    now: datetime,
    status_from: rules.QuoteStatus,
    author_name: str | None = None,
    changes: Sequence[rules.Change] = (),
    extra: dict[str, Any] | None = None,
    signature: dict[str, Any] | None = None,
) -> tuple[ThreadMessage, QuoteEvent]:
    """Append the action to the thread and the chain, bump the version and save the quote.

    The quote's status and lines must already carry the outcome. `by` is who acted (None: the
    server); the message is signed with their name unless `author_name` says otherwise. A
    `signature` (as `signature_part` gives it) is sealed into the event, whose hash becomes the
    signature hash."""
    if by is None:
        author, name, staff_id = Author.SYSTEM, None, None
    elif by.is_staff:
        author, name, staff_id = Author.STAFF, by.staff_name, by.staff_id
    else:
        author, name, staff_id = Author.CUSTOMER, quote.contact_name, None
    message = await ThreadMessage.create(
        quote_id=quote.id,
        kind=kind,
        author=author,
        author_name=author_name or name,
        body=body,
        staff_id=staff_id,
        created_at=now,
    )
    rows = []
    for change in changes:
        if change.action is None:
            continue
        rows.append(
            await LineChange.create(
                line_id=change.after.id,
                quote_id=quote.id,
                message_id=message.id,
                by=change.by,
                action=change.action,
                price=change.price,
                before=line_snapshot(change.before),
                at=now,
            )
        )
    payload: dict[str, Any] = {
        "message": message_part(message),
        "lineChanges": [change_part(row) for row in rows],
        "status": {"from": status_from.value, "to": quote.status.value},
    }
    if extra:
        payload["extra"] = extra
    if signature is not None:
        payload["signature"] = signature
    event = await append_event(quote, payload, now)
    quote.version += 1
    quote.updated_at = now
    await quote.save()
    pending.append((quote_topic(quote.id), {"type": "message", "messageId": message.id}))
    pending.append((quote_topic(quote.id), {"type": "quote", "version": quote.version}))
    return message, event


async def conclude(
    quote: Quote,
    lines: list[QuoteLine],
    outcome: rules.Outcome,
    pending: Pending,
    **entry: Any,
) -> tuple[ThreadMessage, QuoteEvent]:
    """Write an action's outcome to the lines and the quote, and journal it (see `record`)."""
    status_from = quote.status
    await save_lines(lines, outcome)
    quote.status = outcome.status
    quote.awaiting = outcome.awaiting
    quote.recallable = outcome.recallable
    return await record(quote, pending, status_from=status_from, changes=outcome.changes, **entry)


async def chain_is_valid(quote_id: int) -> bool:
    """Recompute the chain from the stored rows: any edit of the log makes this false."""
    quote = await Quote.get_or_none(id=quote_id)
    if quote is None:
        return False
    events = await QuoteEvent.filter(quote_id=quote_id).order_by("seq")
    messages = {m.id: m for m in await ThreadMessage.filter(quote_id=quote_id)}
    changes: dict[int, list[LineChange]] = {}
    for change in await LineChange.filter(quote_id=quote_id).order_by("id"):
        changes.setdefault(change.message_id, []).append(change)
    signatures = {a.event_id: a for a in await Acceptance.filter(quote_id=quote_id)}
    return verify_rows(quote, events, messages, changes, signatures)


def verify_rows(
    quote: Quote,
    events: Sequence[QuoteEvent],
    messages: dict[int, ThreadMessage],
    changes: dict[int, list[LineChange]],
    signatures: dict[int, Acceptance],
) -> bool:
    seen_messages = set()
    for index, event in enumerate(events):
        payload = event.payload
        if payload.get("seq") != index + 1 or event.seq != index + 1:
            return False
        stored = payload.get("message")
        if stored is not None:
            message = messages.get(stored["id"])
            if message is None or message_part(message) != stored:
                return False
            seen_messages.add(message.id)
            rebuilt = [change_part(row) for row in changes.get(message.id, [])]
            if rebuilt != payload.get("lineChanges"):
                return False
        acceptance = signatures.pop(event.id, None)
        if acceptance is not None:
            if payload.get("signature") != signature_part(acceptance):
                return False
            if acceptance.signature_hash != event.hash:
                return False
        elif "signature" in payload:
            return False
    if signatures or seen_messages != set(messages):
        return False
    if events and quote.last_hash != events[-1].hash:
        return False
    return chain.verify((e.payload, e.prev_hash, e.hash) for e in events)
