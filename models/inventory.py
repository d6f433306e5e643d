"""The physical devices of buy orders: expected, received and graded at the bench, or returned."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.buy_order import BuyOrder, BuyOrderLine
from models.enums import UnitGrade, UnitStatus
from models.organization import Organization
from models.quote import money_field


class InventoryUnit(Model):
    """One device of a buy order line: made EXPECTED at conversion, RECEIVED when scanned."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="inventory_units", on_delete=fields.CASCADE
    )
    organization_id: int
    buy_order: fields.ForeignKeyRelation[BuyOrder] = fields.ForeignKeyField(
        "models.BuyOrder", related_name="units", on_delete=fields.CASCADE
    )
    buy_order_id: int
    line: fields.ForeignKeyRelation[BuyOrderLine] = fields.ForeignKeyField(
        "models.BuyOrderLine", related_name="units", on_delete=fields.CASCADE
    )
    line_id: int
    brand = fields.CharField(max_length=100)
    model = fields.CharField(max_length=100)
    storage = fields.CharField(max_length=32, null=True)
    imei = fields.CharField(max_length=15, null=True)
    serial = fields.CharField(max_length=64, null=True)
    status = fields.CharEnumField(UnitStatus, max_length=16, default=UnitStatus.EXPECTED)
    "What the merchant pays for this unit now (the agreed price, or an accepted revised offer)."
    price = money_field()
    grade = fields.CharEnumField(UnitGrade, max_length=8, null=True)
    notes = fields.TextField(null=True)
    "The IMEI checks re-run at the bench: {valid, flags, device, checkedAt}."
    check = fields.JSONField(null=True)
    received_at = fields.DatetimeField(null=True)
    graded_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "inventory_unit"
        indexes = (
            ("organization_id", "imei"),
            ("organization_id", "serial"),
            ("organization_id", "status", "model"),
            ("buy_order_id", "id"),
        )


class ReturnShipment(Model):
    """A unit going back to the customer, on the merchant's label (free for the customer)."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="returns", on_delete=fields.CASCADE
    )
    organization_id: int
    unit: fields.OneToOneRelation[InventoryUnit] = fields.OneToOneField(
        "models.InventoryUnit", related_name="return_shipment", on_delete=fields.CASCADE
    )
    unit_id: int
    buy_order: fields.ForeignKeyRelation[BuyOrder] = fields.ForeignKeyField(
        "models.BuyOrder", related_name="returns", on_delete=fields.CASCADE
    )
    buy_order_id: int
    carrier = fields.CharField(max_length=64)
    tracking_number = fields.CharField(max_length=64)
    label_url = fields.CharField(max_length=500, null=True)
    "Why it goes back: DECLINED or LAPSED (the customer's answer to a revised offer)."
    reason = fields.CharField(max_length=16)
    created_at = fields.DatetimeField()

    class Meta:
        table = "return_shipment"
        indexes = (("buy_order_id", "id"),)
