"""The price grid: base prices per catalog model, storage, grade and carrier lock, deductions
per questionnaire answer, and the instant offers computed from them (kept as made)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.catalog import CatalogModel
from models.enums import CarrierLock, DeviceCondition
from models.organization import Organization
from models.quote import Quote, QuoteLine, money_field


class DeductionKind(StrEnum):
    FIXED = "FIXED"
    PERCENT = "PERCENT"


class GridPrice(Model):
    """What the organization pays for one model in one storage, grade and carrier lock."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="grid_prices", on_delete=fields.CASCADE
    )
    organization_id: int
    catalog_model: fields.ForeignKeyRelation[CatalogModel] = fields.ForeignKeyField(
        "models.CatalogModel", related_name="grid_prices", on_delete=fields.CASCADE
    )
    catalog_model_id: int
    "Normalized (see storage_key), empty for a model sold in one storage."
    storage = fields.CharField(max_length=32, default="")
    grade = fields.CharEnumField(DeviceCondition, max_length=16)
    carrier_lock = fields.CharEnumField(CarrierLock, max_length=16)
    base_price = money_field()
    "Deductions never take the offer below this (nor below zero)."
    floor_price = money_field(null=True)

    class Meta:
        table = "grid_price"
        unique_together = (
            ("organization", "catalog_model", "storage", "grade", "carrier_lock"),
        )
        indexes = (("catalog_model_id",),)


class GridDeduction(Model):
    """Taken off the base price when a line carries this answer to this question."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="grid_deductions", on_delete=fields.CASCADE
    )
    organization_id: int
    "The question's key, lowercased."
    question = fields.CharField(max_length=100)
    "The answer, lowercased."
    answer = fields.CharField(max_length=200)
    kind = fields.CharEnumField(DeductionKind, max_length=16)
    amount = money_field()

    class Meta:
        table = "grid_deduction"
        unique_together = (("organization", "question", "answer"),)


class InstantOffer(Model):
    """The grid's offer for a line, computed once at submission and never recomputed."""

    id = fields.IntField(primary_key=True)
    quote: fields.ForeignKeyRelation[Quote] = fields.ForeignKeyField(
        "models.Quote", related_name="instant_offers", on_delete=fields.CASCADE
    )
    quote_id: int
    line: fields.OneToOneRelation[QuoteLine] = fields.OneToOneField(
        "models.QuoteLine", related_name="instant_offer", on_delete=fields.CASCADE
    )
    line_id: int
    amount = money_field()
    base_price = money_field()
    "The deductions applied: [{question, answer, kind, amount}]."
    deductions = fields.JSONField(default=list)
    "Whether the customer sees it (the organization's choice when it was made)."
    shown_to_customer = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()

    class Meta:
        table = "instant_offer"
        indexes = (("quote_id",),)
