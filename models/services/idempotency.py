"""Keyed retries: the same key again returns the first result instead of acting twice."""

from __future__ import annotations

from typing import Any

from models import validation as v
from models.quote import IdempotencyRecord


def clean_key(key: str | None) -> str | None:
    return v.text(key, ["input", "idempotencyKey"], limit=128)


async def replay(organization_id: int, scope: str, key: str | None) -> dict[str, Any] | None:
    """The stored result of an earlier request with this key, if any (call inside the lock)."""
    if key is None:
        return None
    record = await IdempotencyRecord.get_or_none(
        organization_id=organization_id, scope=scope, key=key
    )
    return None if record is None else record.result


async def remember(
    organization_id: int, scope: str, key: str | None, result: dict[str, Any]
) -> None:
    if key is not None:
        await IdempotencyRecord.create(
            organization_id=organization_id, scope=scope, key=key, result=result
        )
