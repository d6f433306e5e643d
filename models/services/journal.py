"""The journal entry every quote action leaves behind: a thread message, its line changes and
the chained event. The transaction, locks, rule state, snapshots and verification live in their
own modules and are re-exported here for the use cases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from models import chain
from models import negotiation as rules
from models.enums import Author, MessageKind
from models.quote import LineChange, Quote, QuoteEvent, QuoteLine, ThreadMessage
from models.services import webhooks
from models.services.caller import Caller
from models.services.locking import can_see, check_version, lock_quote, quote_lines
from models.services.snapshots import (
    change_part,
    line_snapshot,
    line_state_part,
    line_terms,
    message_part,
    new_salt,
    signature_part,
    snapshot_line,
)
from models.services.state import LineLike, QuoteLike, line_state, quote_state, save_lines
from models.services.unit_of_work import (
    Pending,
    quote_topic,
    sealing_keys,
    unit_of_work,
    utcnow,
)
from models.services.verification import chain_is_valid, verify_rows

__all__ = [
    "LineLike",
    "Pending",
    "QuoteLike",
    "append_event",
    "can_see",
    "chain_is_valid",
    "change_part",
    "check_version",
    "conclude",
    "line_snapshot",
    "line_state",
    "line_state_part",
    "line_terms",
    "lock_quote",
    "message_part",
    "new_salt",
    "quote_lines",
    "quote_state",
    "quote_topic",
    "record",
    "save_lines",
    "seal_head",
    "signature_part",
    "snapshot_line",
    "unit_of_work",
    "utcnow",
    "verify_rows",
]


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
    seal_head(quote)
    return event


def seal_head(quote: Quote) -> None:
    """Seal the quote's chain head with the unit of work's key (saved with the quote)."""
    keys = sealing_keys()
    if keys is None:
        raise RuntimeError("chain events are written inside a unit of work")
    quote.seal_key_id, quote.seal_signature = keys.seal(
        quote.id, quote.event_count, quote.last_hash
    )


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
    line_state: list[dict[str, Any]] | None = None,
) -> tuple[ThreadMessage, QuoteEvent]:
    """Append the action to the thread and the chain, bump the version and save the quote.

    The quote's status and lines must already carry the outcome. `by` is who acted (None: the
    server); the message is signed with their name unless `author_name` says otherwise. A
    `signature` (as `signature_part` gives it) is sealed into the event, whose hash becomes the
    signature hash; `line_state` (as `line_state_part` gives it) chains what the lines now say.
    Personal fields are chained as salted hashes; the new chain head is sealed."""
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
        salt=new_salt(),
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
    if line_state is not None:
        payload["lineState"] = line_state
    event = await append_event(quote, payload, now)
    quote.version += 1
    quote.updated_at = now
    await quote.save()
    await webhooks.enqueue(quote, message, status_from.value, now)
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
    return await record(
        quote,
        pending,
        status_from=status_from,
        changes=outcome.changes,
        line_state=line_state_part(lines, quote.currency_code) if lines else None,
        **entry,
    )
