"""What the customer did with their quote (views, downloads, emails) and every share of it."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.organization import Organization, StaffMember
from models.quote import Quote


class EngagementKind(StrEnum):
    VIEW = "VIEW"
    PDF_DOWNLOAD = "PDF_DOWNLOAD"
    RECEIPT_DOWNLOAD = "RECEIPT_DOWNLOAD"
    EMAIL_SENT = "EMAIL_SENT"
    CERTIFICATE_DOWNLOAD = "CERTIFICATE_DOWNLOAD"


"What counts as a download of one of the quote's PDFs."
DOWNLOADS = frozenset(
    {
        EngagementKind.PDF_DOWNLOAD,
        EngagementKind.RECEIPT_DOWNLOAD,
        EngagementKind.CERTIFICATE_DOWNLOAD,
    }
)


class EngagementEvent(Model):
    """One customer interaction (staff reads never count). The client address is kept only as
    a keyed hash."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="engagement", on_delete=fields.CASCADE
    )
    organization_id: int
    quote: fields.ForeignKeyRelation[Quote] = fields.ForeignKeyField(
        "models.Quote", related_name="engagement", on_delete=fields.CASCADE
    )
    quote_id: int
    kind = fields.CharEnumField(EngagementKind, max_length=20)
    "Who it was, for deduplicating views: the link or the portal email."
    viewer_key = fields.CharField(max_length=300, null=True)
    recipient_email = fields.CharField(max_length=254, null=True)
    user_agent = fields.CharField(max_length=500, null=True)
    client_hash = fields.CharField(max_length=32, null=True)
    occurred_at = fields.DatetimeField()

    class Meta:
        table = "engagement_event"
        indexes = (("quote_id", "occurred_at"), ("organization_id", "occurred_at"))


class QuoteShare(Model):
    """The quote's link sent to a recipient: by a request, an issue or a share."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="shares", on_delete=fields.CASCADE
    )
    organization_id: int
    quote: fields.ForeignKeyRelation[Quote] = fields.ForeignKeyField(
        "models.Quote", related_name="shares", on_delete=fields.CASCADE
    )
    quote_id: int
    recipient_email = fields.CharField(max_length=254)
    recipient_name = fields.CharField(max_length=200, null=True)
    message = fields.TextField(null=True)
    staff: fields.ForeignKeyNullableRelation[StaffMember] = fields.ForeignKeyField(
        "models.StaffMember", related_name="shares", null=True, on_delete=fields.SET_NULL
    )
    staff_id: int | None
    shared_at = fields.DatetimeField()

    class Meta:
        table = "quote_share"
        indexes = (("organization_id", "shared_at"),)
