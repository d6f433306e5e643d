"""One-time sign-in codes of the customer portal, kept only as keyed hashes."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.organization import Organization


class PortalCode(Model):
    """A code emailed to a customer: short-lived, used once, burned after a few wrong tries."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="portal_codes", on_delete=fields.CASCADE
    )
    organization_id: int
    "The email in lower case: codes and throttling are per address, whatever its spelling."
    email = fields.CharField(max_length=254)
    code_hash = fields.CharField(max_length=64)
    attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    "Set when the code is used, burned, or replaced by a newer one."
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "portal_code"
        indexes = (("organization_id", "email", "created_at"),)
