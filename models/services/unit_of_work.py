"""The unit of work: one transaction per action, and what it queued for subscribers published
only once it committed."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from models.sealing import Keyring
from models.services.caller import Deps
from models.services.faults import note_commit

log = logging.getLogger(__name__)

Pending = list[tuple[str, dict[str, Any]]]

_sealing_keys: ContextVar[Keyring | None] = ContextVar("sealing_keys", default=None)


def sealing_keys() -> Keyring | None:
    """The keys that seal the chain heads written in the current unit of work."""
    return _sealing_keys.get()


def utcnow() -> datetime:
    return datetime.now(UTC)


def quote_topic(quote_id: int) -> str:
    return f"quote:{quote_id}"


@asynccontextmanager
async def unit_of_work(deps: Deps) -> AsyncIterator[Pending]:
    """One transaction; what it queued for subscribers is published only once it committed."""
    pending: Pending = []
    token = _sealing_keys.set(deps.keys)
    try:
        async with in_transaction():
            yield pending
            note_commit()
    finally:
        _sealing_keys.reset(token)
    for topic, payload in pending:
        try:
            await deps.bus.publish(topic, payload)
        except Exception:  # a lost push must not undo a committed action
            log.exception("publishing %s failed", topic)
