"""Keyed retries: the same key again returns the first result instead of acting twice. As with
Stripe, a key is bound to its request: the same key with a different request is refused with
IDEMPOTENCY_KEY_REUSED (a SHA-256 of the canonical request is stored beside the key)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from models import validation as v
from models.errors import DomainError, ErrorCode
from models.quote import IdempotencyRecord

KEY_PATH = ["input", "idempotencyKey"]


def clean_key(key: str | None) -> str | None:
    return v.text(key, KEY_PATH, limit=128)


def _canonical(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _canonical(item) for k, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, Decimal):
        return str(value.normalize()) if value.is_finite() else str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def request_hash(request: object) -> str:
    """SHA-256 of the request in a canonical form (key order, 650 and 650.00 alike)."""
    text = json.dumps(_canonical(request), sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()


async def replay(
    organization_id: int, scope: str, key: str | None, request: object = None
) -> dict[str, Any] | None:
    """The stored result of an earlier request with this key, if any (call inside the lock);
    IDEMPOTENCY_KEY_REUSED if that earlier request was a different one."""
    if key is None:
        return None
    record = await IdempotencyRecord.get_or_none(
        organization_id=organization_id, scope=scope, key=key
    )
    if record is None:
        return None
    if record.request_hash is not None and record.request_hash != request_hash(request):
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "this idempotencyKey was used for a different request",
            KEY_PATH,
        )
    return record.result


async def remember(
    organization_id: int,
    scope: str,
    key: str | None,
    result: dict[str, Any],
    request: object = None,
) -> None:
    if key is not None:
        await IdempotencyRecord.create(
            organization_id=organization_id,
            scope=scope,
            key=key,
            request_hash=request_hash(request),
            result=result,
        )
