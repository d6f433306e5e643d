"""Chain verification: the stored rows recomputed against the quote's event chain."""

from __future__ import annotations

from collections.abc import Sequence

from models import chain
from models.quote import Acceptance, LineChange, Quote, QuoteEvent, ThreadMessage
from models.services.snapshots import change_part, message_part, signature_part


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
