"""The email outbox: written in the same transaction as the change that causes the email."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.organization import Organization


class OutboxStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class OutboxEmail(Model):
    """One email to send: the template and its context, rendered and delivered by the sender."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyNullableRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="outbox", null=True, on_delete=fields.CASCADE
    )
    organization_id: int | None
    template = fields.CharField(max_length=64)
    to_address = fields.CharField(max_length=254)
    to_name = fields.CharField(max_length=200, null=True)
    context = fields.JSONField()
    status = fields.CharEnumField(OutboxStatus, max_length=16, default=OutboxStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    last_error = fields.TextField(null=True)
    "Stable across retries, so a receiver can tell a resend from a new email."
    message_id = fields.CharField(max_length=200)
    "Emails with one key (e.g. a quote's customer messages to one address) go out as one."
    coalesce_key = fields.CharField(max_length=128, null=True, db_index=True)
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_email"
        indexes = (("status", "next_attempt_at"),)


async def enqueue_email(
    *,
    template: str,
    to_address: str,
    context: dict[str, object],
    organization_id: int | None,
    to_name: str | None = None,
    now: datetime,
) -> OutboxEmail:
    """Queue an email inside the caller's transaction; the sender delivers it after commit."""
    return await OutboxEmail.create(
        organization_id=organization_id,
        template=template,
        to_address=to_address,
        to_name=to_name,
        context=context,
        next_attempt_at=now,
        message_id=f"<{uuid.uuid4().hex}@tradequote>",
        created_at=now,
    )


async def enqueue_coalesced(
    *,
    key: str,
    window: timedelta,
    item: object,
    template: str,
    to_address: str,
    context: dict[str, object],
    organization_id: int | None,
    to_name: str | None = None,
    now: datetime,
) -> OutboxEmail:
    """Queue `item` (e.g. one customer message) for an email that gathers every item of `key`
    within `window`: the first goes out at once, later ones join the email still waiting, or
    start one due `window` after the previous email was planned. Call it under a lock that
    serializes the key (the quote's row lock); the sender skips a row that this locks."""
    waiting = (
        await OutboxEmail.filter(coalesce_key=key, status=OutboxStatus.PENDING, attempts=0)
        .select_for_update(skip_locked=False)
        .order_by("-id")
        .first()
    )
    if waiting is not None and isinstance(waiting.context, dict):
        items = list(waiting.context.get("items") or [])
        waiting.context = {**waiting.context, **context, "items": [*items, item]}
        await waiting.save(update_fields=["context"])
        return waiting
    previous = await OutboxEmail.filter(coalesce_key=key).order_by("-id").first()
    due = now
    if previous is not None and isinstance(previous.context, dict):
        planned = previous.context.get("planned_at")
        if isinstance(planned, str):
            due = max(now, datetime.fromisoformat(planned) + window)
    return await OutboxEmail.create(
        organization_id=organization_id,
        template=template,
        to_address=to_address,
        to_name=to_name,
        context={**context, "items": [item], "planned_at": due.isoformat()},
        next_attempt_at=due,
        message_id=f"<{uuid.uuid4().hex}@tradequote>",
        created_at=now,
        coalesce_key=key,
    )
