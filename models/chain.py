"""The tamper-evident event chain: hash = sha256(previous hash ‖ canonical JSON of the event)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64


def _default(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not part of an event")


def canonical(event: Mapping[str, Any]) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the same event always gives the same text."""
    return json.dumps(
        event, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    )


def link(previous_hash: str, event: Mapping[str, Any]) -> str:
    digest = hashlib.sha256()
    digest.update(previous_hash.encode("ascii"))
    digest.update(canonical(event).encode("utf-8"))
    return digest.hexdigest()


def verify(entries: Iterable[tuple[Mapping[str, Any], str, str]]) -> bool:
    """True when every (event, previous hash, hash) links to the one before it, from genesis."""
    expected_previous = GENESIS
    for event, previous_hash, event_hash in entries:
        if previous_hash != expected_previous or link(previous_hash, event) != event_hash:
            return False
        expected_previous = event_hash
    return True


def commit(salt: str | None, value: str | None) -> str | None:
    """The chain's commitment to a personal value: hex sha256(salt bytes ‖ UTF-8 value).

    The salt (32 hex digits, random per row) is kept beside the value, never in the chain:
    erasing both leaves the commitment in place and every hash checkable, while nobody can
    test a guess of the erased value against it. None for a missing value."""
    if value is None or salt is None:
        return None
    return hashlib.sha256(bytes.fromhex(salt) + value.encode("utf-8")).hexdigest()


SEAL_CONTEXT = "tradequote-seal/1"


def seal_message(quote_reference: str, event_count: int, head_hash: str) -> bytes:
    """What the server's Ed25519 key signs for a chain head: the quote, how many events, the
    last hash. A truncated or recomputed chain no longer matches its seal."""
    return f"{SEAL_CONTEXT}\n{quote_reference}\n{event_count}\n{head_hash}".encode("ascii")
