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
