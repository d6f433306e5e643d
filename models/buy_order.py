"""Buy orders: what the merchant pays for, made once from an accepted quote."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.enums import DeviceType, Fulfillment, PaymentStatus, PayoutMethod
from models.organization import Organization, StaffMember
from models.quote import Quote, QuoteLine, money_field


class BuyOrder(Model):
    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="buy_orders", on_delete=fields.CASCADE
    )
    organization_id: int
    "Unique: the database itself refuses a second buy order for one quote."
    quote: fields.OneToOneRelation[Quote] = fields.OneToOneField(
        "models.Quote", related_name="buy_order", on_delete=fields.CASCADE
    )
    quote_id: int
    number = fields.CharField(max_length=32)
    currency_code = fields.CharField(max_length=3)
    total = money_field()
    payout_method = fields.CharEnumField(PayoutMethod, max_length=16)
    fulfillment = fields.CharEnumField(Fulfillment, max_length=16)
    "SHIP with a carrier-label service: the inbound label it made (null: the built-in label)."
    carrier = fields.CharField(max_length=64, null=True)
    tracking_number = fields.CharField(max_length=64, null=True)
    label_url = fields.CharField(max_length=500, null=True)
    payment_status = fields.CharEnumField(
        PaymentStatus, max_length=16, default=PaymentStatus.PENDING
    )
    created_by: fields.ForeignKeyNullableRelation[StaffMember] = fields.ForeignKeyField(
        "models.StaffMember", related_name="buy_orders", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "buy_order"
        unique_together = (("organization", "number"),)


class BuyOrderLine(Model):
    id = fields.IntField(primary_key=True)
    buy_order: fields.ForeignKeyRelation[BuyOrder] = fields.ForeignKeyField(
        "models.BuyOrder", related_name="lines", on_delete=fields.CASCADE
    )
    buy_order_id: int
    quote_line: fields.ForeignKeyRelation[QuoteLine] = fields.ForeignKeyField(
        "models.QuoteLine", related_name="buy_order_lines", on_delete=fields.CASCADE
    )
    quote_line_id: int
    position = fields.IntField()
    device_type = fields.CharEnumField(DeviceType, max_length=16)
    brand = fields.CharField(max_length=100)
    model = fields.CharField(max_length=100)
    storage = fields.CharField(max_length=32, null=True)
    color = fields.CharField(max_length=50, null=True)
    quantity = fields.IntField()
    unit_price = money_field()
    total = money_field()

    class Meta:
        table = "buy_order_line"
