"""In-app notifications for an organization's staff, each with its own read state per staff member."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.organization import Organization, StaffMember
from models.quote import Quote


class NotificationKind(StrEnum):
    QUOTE_SUBMITTED = "QUOTE_SUBMITTED"
    CUSTOMER_RESPONDED = "CUSTOMER_RESPONDED"
    CHANGES_REQUESTED = "CHANGES_REQUESTED"
    QUOTE_ACCEPTED = "QUOTE_ACCEPTED"
    ACCEPTANCE_WITHDRAWN = "ACCEPTANCE_WITHDRAWN"
    QUOTE_REJECTED = "QUOTE_REJECTED"
    QUOTE_EXPIRED = "QUOTE_EXPIRED"
    QUOTE_TAMPERED = "QUOTE_TAMPERED"
    REVISED_OFFER_ANSWERED = "REVISED_OFFER_ANSWERED"
    WEBHOOK_DISABLED = "WEBHOOK_DISABLED"


class Notification(Model):
    """Something a customer (or the clock) did that the organization's staff should know."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="notifications", on_delete=fields.CASCADE
    )
    organization_id: int
    quote: fields.ForeignKeyNullableRelation[Quote] = fields.ForeignKeyField(
        "models.Quote", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    quote_id: int | None
    kind = fields.CharEnumField(NotificationKind, max_length=32)
    message = fields.CharField(max_length=500)
    created_at = fields.DatetimeField()

    class Meta:
        table = "notification"
        indexes = (("organization_id", "id"),)


class NotificationRead(Model):
    """One staff member has read one notification (no row: unread)."""

    id = fields.IntField(primary_key=True)
    notification: fields.ForeignKeyRelation[Notification] = fields.ForeignKeyField(
        "models.Notification", related_name="reads", on_delete=fields.CASCADE
    )
    notification_id: int
    staff: fields.ForeignKeyRelation[StaffMember] = fields.ForeignKeyField(
        "models.StaffMember", related_name="notification_reads", on_delete=fields.CASCADE
    )
    staff_id: int
    read_at = fields.DatetimeField()

    class Meta:
        table = "notification_read"
        unique_together = (("staff", "notification"),)
