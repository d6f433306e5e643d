"""Revised offers on received units, and the photos that show why."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.buy_order import BuyOrder
from models.enums import RevisionStatus
from models.inventory import InventoryUnit
from models.organization import Organization, StaffMember
from models.quote import Quote, money_field


class RevisedOffer(Model):
    """A new price for a unit that arrived worse than disclosed, open until the reply window ends."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="revised_offers", on_delete=fields.CASCADE
    )
    organization_id: int
    quote: fields.ForeignKeyRelation[Quote] = fields.ForeignKeyField(
        "models.Quote", related_name="revised_offers", on_delete=fields.CASCADE
    )
    quote_id: int
    buy_order: fields.ForeignKeyRelation[BuyOrder] = fields.ForeignKeyField(
        "models.BuyOrder", related_name="revised_offers", on_delete=fields.CASCADE
    )
    buy_order_id: int
    unit: fields.ForeignKeyRelation[InventoryUnit] = fields.ForeignKeyField(
        "models.InventoryUnit", related_name="revised_offers", on_delete=fields.CASCADE
    )
    unit_id: int
    currency_code = fields.CharField(max_length=3)
    price_before = money_field()
    price = money_field()
    "RevisionReason values."
    reasons = fields.JSONField()
    note = fields.TextField(null=True)
    status = fields.CharEnumField(RevisionStatus, max_length=16, default=RevisionStatus.OPEN)
    reply_by = fields.DatetimeField()
    answered_at = fields.DatetimeField(null=True)
    created_by: fields.ForeignKeyNullableRelation[StaffMember] = fields.ForeignKeyField(
        "models.StaffMember", related_name="revised_offers", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "revised_offer"
        indexes = (("quote_id", "id"), ("status", "reply_by"), ("unit_id", "status"))


class EvidenceUpload(Model):
    """A staged upload: a short-lived signed URL, used once, then a stored photo."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="evidence_uploads", on_delete=fields.CASCADE
    )
    organization_id: int
    revised_offer: fields.ForeignKeyNullableRelation[RevisedOffer] = fields.ForeignKeyField(
        "models.RevisedOffer", related_name="photos", null=True, on_delete=fields.SET_NULL
    )
    revised_offer_id: int | None
    expires_at = fields.DatetimeField()
    uploaded_at = fields.DatetimeField(null=True)
    "Where the storage keeps the bytes."
    storage_key = fields.CharField(max_length=200, null=True)
    content_type = fields.CharField(max_length=32, null=True)
    size = fields.IntField(null=True)
    sha256 = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "evidence_upload"
        indexes = (("revised_offer_id", "id"),)
