"""Chain verification: a quote's evidence read from its rows, the rows checked against the chain
they were written into, and the evidence checked as anyone would check it offline."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models import evidence as proof
from models.consent import CONSENT_TEXTS
from models.quote import Acceptance, LineChange, Quote, QuoteEvent, QuoteLine, ThreadMessage
from models.sealing import Keyring, quote_reference
from models.services.caller import Caller
from models.services.locking import can_see
from models.services.snapshots import (
    MESSAGE_PERSONAL,
    SIGNATURE_PERSONAL,
    change_part,
    line_state_part,
    message_part,
    signature_part,
)

SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Rows:
    """Everything of one quote that its chain speaks for."""

    quote: Quote
    events: list[QuoteEvent]
    messages: dict[int, ThreadMessage]
    changes: dict[int, list[LineChange]]
    acceptances: dict[int, Acceptance]
    lines: list[QuoteLine]


async def load_rows(quote_id: int) -> Rows | None:
    quote = await Quote.get_or_none(id=quote_id)
    if quote is None:
        return None
    changes: dict[int, list[LineChange]] = {}
    for change in await LineChange.filter(quote_id=quote_id).order_by("id"):
        changes.setdefault(change.message_id, []).append(change)
    return Rows(
        quote=quote,
        events=list(await QuoteEvent.filter(quote_id=quote_id).order_by("seq")),
        messages={m.id: m for m in await ThreadMessage.filter(quote_id=quote_id)},
        changes=changes,
        acceptances={a.event_id: a for a in await Acceptance.filter(quote_id=quote_id)},
        lines=list(await QuoteLine.filter(quote_id=quote_id).order_by("position")),
    )


def _erased(row: Any, personal: Mapping[str, str]) -> bool:
    """A row whose personal fields were erased together with their salt."""
    return row.salt is None and all(getattr(row, attr) is None for attr in personal.values())


def part_matches(
    stored: Mapping[str, Any] | None, row: Any, build: Any, personal: Mapping[str, str]
) -> bool:
    """The chained part equals the row's; an erased row is held to what is not personal."""
    if stored is None:
        return False
    salted = all(key in stored for key in personal)
    rebuilt = build(row, salted=salted)
    if not (salted and _erased(row, personal)):
        return bool(stored == rebuilt)
    return {k: v for k, v in stored.items() if k not in personal} == {
        k: v for k, v in rebuilt.items() if k not in personal
    }


def row_problems(rows: Rows) -> list[str]:
    """Where the rows disagree with the chain they were written into."""
    problems: list[str] = []
    seen_messages = set()
    acceptances = dict(rows.acceptances)
    for index, event in enumerate(rows.events, start=1):
        payload = event.payload
        if event.seq != index:
            problems.append(f"event {index} is missing or out of sequence")
        stored = payload.get("message")
        if stored is not None:
            message = rows.messages.get(stored.get("id"))
            if message is None:
                problems.append(f"event {index}: its thread message is missing")
            else:
                seen_messages.add(message.id)
                if not part_matches(stored, message, message_part, MESSAGE_PERSONAL):
                    problems.append(f"event {index}: the thread message was altered")
                rebuilt = [change_part(row) for row in rows.changes.get(message.id, [])]
                if rebuilt != payload.get("lineChanges"):
                    problems.append(f"event {index}: its line changes were altered")
        acceptance = acceptances.pop(event.id, None)
        if acceptance is not None:
            if not part_matches(
                payload.get("signature"), acceptance, signature_part, SIGNATURE_PERSONAL
            ):
                problems.append(f"event {index}: the signature was altered")
            if acceptance.signature_hash != event.hash:
                problems.append(f"event {index}: the signature hash was altered")
        elif "signature" in payload:
            problems.append(f"event {index}: the signed acceptance is missing")
    if acceptances:
        problems.append("an acceptance is not in the chain")
    if seen_messages != set(rows.messages):
        problems.append("a thread message is not in the chain")
    head = rows.events[-1].hash if rows.events else None
    if rows.events and (rows.quote.last_hash != head or rows.quote.event_count != len(rows.events)):
        problems.append("the quote's chain head is not its last event")
    return problems


def disclosures(rows: Rows) -> list[dict[str, Any]]:
    """The personal values still held, each with its salt and where the chain commits to it."""
    found = []
    for event in rows.events:
        message = rows.messages.get(int((event.payload.get("message") or {}).get("id") or 0))
        acceptance = rows.acceptances.get(event.id)
        for section, row, personal in (
            ("message", message, MESSAGE_PERSONAL),
            ("signature", acceptance, SIGNATURE_PERSONAL),
        ):
            if row is None or row.salt is None:
                continue
            for key, attr in personal.items():
                value = getattr(row, attr)
                if value is not None:
                    found.append(
                        {"seq": event.seq, "path": [section, key], "salt": row.salt, "value": value}
                    )
    return found


def evidence_of(rows: Rows) -> dict[str, Any]:
    """The quote's whole evidence, as `models.evidence.check` reads it."""
    quote = rows.quote
    versions = {
        str(version)
        for event in rows.events
        if (version := (event.payload.get("signature") or {}).get("consentVersion")) is not None
    }
    return {
        "format": proof.FORMAT,
        "quote": {
            "id": quote_reference(quote.id),
            "number": quote.number,
            "status": quote.status.value,
            "currencyCode": quote.currency_code,
        },
        "events": [
            {
                "seq": event.seq,
                "prevHash": event.prev_hash,
                "hash": event.hash,
                "payload": event.payload,
            }
            for event in rows.events
        ],
        "seal": {
            "keyId": quote.seal_key_id,
            "signature": quote.seal_signature,
            "eventCount": quote.event_count,
            "headHash": quote.last_hash,
        },
        "disclosures": disclosures(rows),
        "consentTexts": {v: CONSENT_TEXTS[v] for v in sorted(versions) if v in CONSENT_TEXTS},
        "lines": line_state_part(rows.lines, quote.currency_code),
    }


def problems_of(rows: Rows, keys: Keyring) -> list[str]:
    public = dict(keys.public)
    return row_problems(rows) + proof.check(evidence_of(rows), public)


async def verify_quote(quote_id: int, keys: Keyring) -> list[str]:
    """Everything wrong with the quote's records; empty when they hold."""
    rows = await load_rows(quote_id)
    if rows is None:
        return ["no such quote"]
    return problems_of(rows, keys)


async def chain_is_valid(quote_id: int, keys: Keyring) -> bool:
    """Recompute the chain from the stored rows and check its seal: any edit, deletion,
    truncation or recomputation of the log makes this false."""
    return not await verify_quote(quote_id, keys)


def verify_rows(rows: Rows, keys: Keyring) -> bool:
    return not problems_of(rows, keys)



async def export_evidence(caller: Caller, quote_id: int) -> dict[str, Any] | None:
    """Staff: the quote's whole evidence as JSON; None for a quote they may not see."""
    caller.require_staff()
    rows = await load_rows(quote_id)
    if rows is None or not can_see(caller, rows.quote):
        return None
    return evidence_of(rows)


@dataclass(frozen=True)
class SignatureCheck:
    """What anyone holding a signature hash may learn: whether its records hold, and the seal."""

    problems: list[str]
    signed_at: datetime
    withdrawn_at: datetime | None
    key_id: str | None
    head_hash: str
    event_count: int
    seal_signature: str | None


async def verify_signature(signature_hash: str, keys: Keyring) -> SignatureCheck | None:
    """The check of the quote a signature hash belongs to; None for an unknown hash (anything
    but 64 hex digits is unknown without asking the database)."""
    signature_hash = signature_hash.strip().lower()
    if not SHA256_HEX.fullmatch(signature_hash):
        return None
    acceptance = await Acceptance.filter(signature_hash=signature_hash).first()
    if acceptance is None:
        return None
    rows = await load_rows(acceptance.quote_id)
    assert rows is not None  # an acceptance belongs to a quote
    return SignatureCheck(
        problems=problems_of(rows, keys),
        signed_at=acceptance.signed_at,
        withdrawn_at=acceptance.withdrawn_at,
        key_id=rows.quote.seal_key_id,
        head_hash=rows.quote.last_hash,
        event_count=rows.quote.event_count,
        seal_signature=rows.quote.seal_signature,
    )


def verify_evidence(document: Mapping[str, Any], keys: Keyring) -> list[str]:
    """An exported evidence document checked with the server's public keys."""
    try:
        return proof.check(document, dict(keys.public))
    except (AttributeError, KeyError, TypeError, ValueError, IndexError):
        return ["not a well-formed evidence document"]
