"""Webhooks: the events a quote's actions raise, queued in the action's own transaction (the
webhook outbox), and the endpoints staff (or a key with `webhooks:manage`) manage.

Every journal entry goes through `models.services.journal.record`, which calls `enqueue`: one
place for every event type. The sender (`graphql_api/webhooks/sender.py`) delivers them."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from models import validation as v
from models.enums import MessageKind
from models.errors import DomainError, ErrorCode
from models.negotiation import StaffRole
from models.organization import Organization
from models.partners import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookEventType,
)
from models.quote import Quote, ThreadMessage
from models.sealing import quote_reference
from models.services.caller import Caller
from models.services.webhook_urls import UnsafeUrl, check_url
from models.webhook_signing import new_secret

MANAGING_ROLES = frozenset({StaffRole.OWNER, StaffRole.MANAGER})
MAX_ENDPOINTS = 20
EVENT_OF_MESSAGE = {
    MessageKind.SUBMISSION: WebhookEventType.QUOTE_SUBMITTED,
    MessageKind.COUNTER_OFFER: WebhookEventType.QUOTE_COUNTERED,
    MessageKind.ACCEPTANCE: WebhookEventType.QUOTE_ACCEPTED,
    MessageKind.WITHDRAWAL: WebhookEventType.QUOTE_WITHDRAWN,
    MessageKind.REJECTION: WebhookEventType.QUOTE_REJECTED,
    MessageKind.CONVERSION: WebhookEventType.QUOTE_CONVERTED,
    MessageKind.CANCELLATION: WebhookEventType.QUOTE_CANCELED,
    MessageKind.EXPIRY: WebhookEventType.QUOTE_EXPIRED,
    MessageKind.MESSAGE: WebhookEventType.MESSAGE_POSTED,
}


def _global(type_name: str, pk: int) -> str:
    """A global ID as the API shows it (the quote's is `quote_reference`, the same form)."""
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


def event_body(
    event_id: str, event_type: WebhookEventType, organization_id: int, now: datetime,
    data: dict[str, Any],
) -> str:  # fmt: skip
    """The JSON body: `{id, type, timestamp, organization: {id}, data}` (see the README)."""
    return json.dumps(
        {
            "id": event_id,
            "type": event_type.value,
            "timestamp": now.isoformat().replace("+00:00", "Z"),
            "organization": {"id": _global("Organization", organization_id)},
            "data": data,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


async def _write(
    organization_id: int, event_type: WebhookEventType, quote_id: int | None,
    data: dict[str, Any], endpoints: Sequence[int], now: datetime,
) -> WebhookEvent:  # fmt: skip
    event_id = new_event_id()
    event = await WebhookEvent.create(
        event_id=event_id, organization_id=organization_id, type=event_type, quote_id=quote_id,
        body=event_body(event_id, event_type, organization_id, now, data), created_at=now,
    )  # fmt: skip
    await WebhookDelivery.bulk_create(
        [
            WebhookDelivery(
                endpoint_id=endpoint_id, event_id=event.id, quote_id=quote_id,
                next_attempt_at=now, created_at=now,
            )  # fmt: skip
            for endpoint_id in endpoints
        ]
    )
    return event


async def enqueue(quote: Quote, message: ThreadMessage, status_from: str, now: datetime) -> None:
    """Queue the event of a journal entry for every enabled endpoint that wants it, inside the
    action's transaction: it is sent once that commits, and never if it rolls back."""
    event_type = EVENT_OF_MESSAGE.get(message.kind)
    if event_type is None:
        return
    endpoints = await WebhookEndpoint.filter(
        organization_id=quote.organization_id, enabled=True
    ).values("id", "events")
    targets = [
        row["id"] for row in endpoints if not row["events"] or event_type.value in row["events"]
    ]
    if not targets:
        return
    data: dict[str, Any] = {
        "quote": {
            "id": quote_reference(quote.id),
            "number": quote.number,
            "status": str(quote.status.value),
            "previousStatus": status_from,
            "version": quote.version,
            "sequence": quote.event_count,
        },
        "message": {
            "id": _global("ThreadMessage", message.id),
            "kind": message.kind.value,
            "author": message.author.value,
            "body": message.body,
        },
    }
    await _write(quote.organization_id, event_type, quote.id, data, targets, now)


# ---------------------------------------------------------------- endpoint management


def _require(caller: Caller) -> int:
    """The caller's organization, for OWNER and MANAGER (and keys with `webhooks:manage`,
    whose scope the gateway checked)."""
    caller.require_staff(MANAGING_ROLES)
    assert caller.organization_id is not None
    return caller.organization_id


def _events(events: Sequence[str] | None) -> list[str]:
    chosen = {WebhookEventType(event).value for event in events or ()}
    chosen.discard(WebhookEventType.PING.value)
    return [event.value for event in WebhookEventType if event.value in chosen]


async def _checked_url(url: str, allow_private: bool) -> str:
    clean = v.text(url, ["input", "url"], limit=2000, required=True)
    try:
        await check_url(clean, allow_private=allow_private)
    except UnsafeUrl as error:
        raise DomainError(ErrorCode.INVALID_INPUT, str(error), ["input", "url"]) from error
    return clean


async def create_endpoint(
    caller: Caller, url: str, events: Sequence[str] | None, description: str | None,
    allow_private: bool, now: datetime,
) -> WebhookEndpoint:  # fmt: skip
    """A new endpoint with a fresh secret (the caller shows it once)."""
    organization_id = _require(caller)
    clean = await _checked_url(url, allow_private)
    note = v.text(description, ["input", "description"], limit=200) if description else None
    async with in_transaction():
        if await WebhookEndpoint.filter(organization_id=organization_id).count() >= MAX_ENDPOINTS:
            raise DomainError(
                ErrorCode.LIMIT_EXCEEDED, f"at most {MAX_ENDPOINTS} endpoints", ["input", "url"]
            )
        return await WebhookEndpoint.create(
            organization_id=organization_id, url=clean, events=_events(events),
            description=note, secret=new_secret(), created_at=now,
        )  # fmt: skip


async def _endpoint(organization_id: int, endpoint_id: int | None) -> WebhookEndpoint:
    row = (
        await WebhookEndpoint.get_or_none(id=endpoint_id, organization_id=organization_id)
        if endpoint_id is not None
        else None
    )
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no such webhook endpoint", ["input", "id"])
    return row


async def update_endpoint(
    caller: Caller, endpoint_id: int | None, *, url: str | None, events: Sequence[str] | None,
    enabled: bool | None, allow_private: bool,
) -> WebhookEndpoint:  # fmt: skip
    """Change the URL, the events, or enable / disable an endpoint (enabling clears the reason
    the server disabled it)."""
    row = await _endpoint(_require(caller), endpoint_id)
    if url is not None:
        row.url = await _checked_url(url, allow_private)
    if events is not None:
        row.events = _events(events)
    if enabled is not None:
        row.enabled = enabled
        if enabled:
            row.disabled_reason = None
    await row.save()
    return row


async def delete_endpoint(caller: Caller, endpoint_id: int | None) -> WebhookEndpoint:
    """Remove an endpoint and what it was owed."""
    row = await _endpoint(_require(caller), endpoint_id)
    await row.delete()
    return row


async def endpoints(caller: Caller) -> list[WebhookEndpoint]:
    return await WebhookEndpoint.filter(organization_id=_require(caller)).order_by("id")


async def deliveries(
    caller: Caller, endpoint_id: int | None, limit: int
) -> list[tuple[WebhookDelivery, WebhookEvent, list[WebhookAttempt]]]:
    """The endpoint's latest deliveries, newest first, with their events and attempts (three
    statements whatever the number)."""
    row = await _endpoint(_require(caller), endpoint_id)
    rows = (
        await WebhookDelivery.filter(endpoint_id=row.id)
        .order_by("-id")
        .limit(max(1, min(limit, 100)))
    )
    events = {e.id: e for e in await WebhookEvent.filter(id__in=[d.event_id for d in rows])}
    attempts: dict[int, list[WebhookAttempt]] = {d.id: [] for d in rows}
    for attempt in await WebhookAttempt.filter(delivery_id__in=list(attempts)).order_by("id"):
        attempts[attempt.delivery_id].append(attempt)
    return [(d, events[d.event_id], attempts[d.id]) for d in rows]


async def redeliver(caller: Caller, delivery_id: int | None, now: datetime) -> WebhookDelivery:
    """Send a delivered or failed event again, as a new delivery with the same `webhook-id`
    (receivers that saw it already drop it)."""
    organization_id = _require(caller)
    original = (
        await WebhookDelivery.filter(
            id=delivery_id, endpoint__organization_id=organization_id
        ).first()
        if delivery_id is not None
        else None
    )
    if original is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no such delivery", ["input", "id"])
    if original.status is DeliveryStatus.PENDING:
        raise DomainError(
            ErrorCode.INVALID_STATE, "this delivery is still being tried", ["input", "id"]
        )
    return await WebhookDelivery.create(
        endpoint_id=original.endpoint_id, event_id=original.event_id, quote_id=original.quote_id,
        next_attempt_at=now, created_at=now,
    )  # fmt: skip


async def ping(caller: Caller, endpoint_id: int | None, now: datetime) -> WebhookDelivery:
    """Queue a `webhook.ping` event to one endpoint, to test its receiver (a disabled endpoint
    gets it once enabled again)."""
    row = await _endpoint(_require(caller), endpoint_id)
    organization = await Organization.get(id=row.organization_id)
    async with in_transaction():
        event = await _write(
            row.organization_id, WebhookEventType.PING, None,
            {
                "endpoint": {"id": _global("WebhookEndpoint", row.id)},
                "organization": {"slug": organization.slug},
            },
            [row.id], now,
        )  # fmt: skip
        return await WebhookDelivery.get(event_id=event.id)
