"""The team's sign-in codes and the customer links that were retired by rotation or revocation."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.organization import StaffMember
from models.quote import Quote


class SignInCode(Model):
    """A one-time code emailed for a staff sign-in or an invitation, stored as a keyed hash.

    A row is written for every well-formed request, also for emails that belong to nobody, so
    that the answer and the work done are the same either way and requests can be throttled."""

    id = fields.IntField(primary_key=True)
    organization_slug = fields.CharField(max_length=64)
    email = fields.CharField(max_length=254)
    staff: fields.ForeignKeyNullableRelation[StaffMember] = fields.ForeignKeyField(
        "models.StaffMember", related_name="sign_in_codes", null=True, on_delete=fields.CASCADE
    )
    staff_id: int | None
    code_hash = fields.CharField(max_length=64)
    "INVITATION or SIGN_IN."
    purpose = fields.CharField(max_length=16)
    attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "sign_in_code"
        indexes = (("organization_slug", "email", "created_at"), ("staff_id",))


class RetiredLink(Model):
    """The link generation (salt) a quote's link had before it was rotated or revoked."""

    id = fields.IntField(primary_key=True)
    quote: fields.ForeignKeyRelation[Quote] = fields.ForeignKeyField(
        "models.Quote", related_name="retired_links", on_delete=fields.CASCADE
    )
    quote_id: int
    link_salt = fields.CharField(max_length=32)
    retired_at = fields.DatetimeField()

    class Meta:
        table = "retired_link"
        indexes = (("quote_id", "link_salt"),)
