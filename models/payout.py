"""What the merchant owes for a buy order, its history, the store-credit ledger and the Stripe
events already handled."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.buy_order import BuyOrder
from models.enums import PayoutMethod, PayoutStatus
from models.organization import Organization, StaffMember
from models.quote import money_field


class Payout(Model):
    """The payout obligation of one buy order: its total, what is still due and what was paid."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="payouts", on_delete=fields.CASCADE
    )
    organization_id: int
    buy_order: fields.OneToOneRelation[BuyOrder] = fields.OneToOneField(
        "models.BuyOrder", related_name="payout", on_delete=fields.CASCADE
    )
    buy_order_id: int
    currency_code = fields.CharField(max_length=3)
    method = fields.CharEnumField(PayoutMethod, max_length=16)
    status = fields.CharEnumField(PayoutStatus, max_length=16, default=PayoutStatus.PENDING)
    "The buy order's total at conversion."
    total = money_field()
    "What is due now: the total after revised offers and returns."
    amount = money_field()
    "The part declined (returned units, or the whole payout when staff decline it)."
    declined_amount = money_field(default=0)
    paid_amount = money_field(default=0)
    "Stripe transfer id, check number or store-credit note."
    reference = fields.CharField(max_length=200, null=True)
    decline_reason = fields.TextField(null=True)
    approved_by: fields.ForeignKeyNullableRelation[StaffMember] = fields.ForeignKeyField(
        "models.StaffMember", related_name="approved_payouts", null=True, on_delete=fields.SET_NULL
    )
    approved_by_id: int | None
    approved_at = fields.DatetimeField(null=True)
    settled_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "payout"
        indexes = (("organization_id", "status"), ("method", "reference"))


class PayoutEntry(Model):
    """One step of a payout's history."""

    id = fields.IntField(primary_key=True)
    payout: fields.ForeignKeyRelation[Payout] = fields.ForeignKeyField(
        "models.Payout", related_name="entries", on_delete=fields.CASCADE
    )
    payout_id: int
    action = fields.CharField(max_length=32)
    status = fields.CharEnumField(PayoutStatus, max_length=16)
    amount = money_field()
    note = fields.TextField(null=True)
    staff: fields.ForeignKeyNullableRelation[StaffMember] = fields.ForeignKeyField(
        "models.StaffMember", related_name="payout_entries", null=True, on_delete=fields.SET_NULL
    )
    staff_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "payout_entry"
        indexes = (("payout_id", "id"),)


class StoreCreditEntry(Model):
    """A credit (positive) or a spend (negative) of a customer's store credit, by email."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="store_credit", on_delete=fields.CASCADE
    )
    organization_id: int
    "Lower-cased."
    customer_email = fields.CharField(max_length=254)
    currency_code = fields.CharField(max_length=3)
    amount = money_field()
    payout: fields.ForeignKeyNullableRelation[Payout] = fields.ForeignKeyField(
        "models.Payout", related_name="credits", null=True, on_delete=fields.SET_NULL
    )
    payout_id: int | None
    "What it was for: the buy order credited, or the reference of a spend."
    note = fields.CharField(max_length=200, null=True)
    "Who booked it: the staff member who settled the payout or recorded the spend."
    staff: fields.ForeignKeyNullableRelation[StaffMember] = fields.ForeignKeyField(
        "models.StaffMember", related_name="store_credit_entries", null=True, on_delete=fields.SET_NULL
    )
    staff_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "store_credit_entry"
        indexes = (("organization_id", "customer_email"),)


class StripeEvent(Model):
    """A Stripe webhook event handled once: its id is unique."""

    id = fields.IntField(primary_key=True)
    event_id = fields.CharField(max_length=255, unique=True)
    event_type = fields.CharField(max_length=100)
    payout: fields.ForeignKeyNullableRelation[Payout] = fields.ForeignKeyField(
        "models.Payout", related_name="stripe_events", null=True, on_delete=fields.SET_NULL
    )
    payout_id: int | None
    received_at = fields.DatetimeField()

    class Meta:
        table = "stripe_event"
