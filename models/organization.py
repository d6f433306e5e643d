"""Organizations, their staff, and the stored (hashed) access tokens."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.negotiation import StaffRole

DEFAULT_CONDITION_QUESTIONS = [
    {
        "key": "screen",
        "label": "Screen",
        "options": ["Flawless", "Light scratches", "Deep scratches", "Cracked"],
    },
    {
        "key": "body",
        "label": "Body",
        "options": ["Flawless", "Light wear", "Dents or cracks"],
    },
    {
        "key": "battery",
        "label": "Battery health",
        "options": ["90% or more", "80–89%", "Under 80%", "Unknown"],
    },
    {
        "key": "accessories",
        "label": "Accessories",
        "options": ["Original box and charger", "Charger only", "None"],
    },
]


def default_condition_questions() -> list[dict[str, object]]:
    return [dict(question) for question in DEFAULT_CONDITION_QUESTIONS]


class Organization(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    slug = fields.CharField(max_length=64, unique=True)
    currency_code = fields.CharField(max_length=3, default="USD")
    quote_validity_days = fields.IntField(default=14)
    "IANA zone in which a quote's last valid day ends (e.g. Europe/Berlin)."
    time_zone = fields.CharField(max_length=64, default="UTC")
    accepts_trade_ins = fields.BooleanField(default=True)
    imei_lookups_per_quote = fields.IntField(null=True)
    "Whether customers see the price grid's instant offer on their lines at once."
    show_instant_offers = fields.BooleanField(default=False)
    notification_email = fields.CharField(max_length=254, null=True)
    condition_questions = fields.JSONField(default=default_condition_questions)
    logo = fields.BinaryField(null=True)
    logo_content_type = fields.CharField(max_length=32, null=True)
    accent_color = fields.CharField(max_length=16, null=True)
    headline = fields.CharField(max_length=200, null=True)
    footer_text = fields.CharField(max_length=500, null=True)
    pickup_instructions = fields.TextField(null=True)
    receiving_address = fields.TextField(null=True)
    "When on, a buy order's payout waits for FINANCE approval."
    finance_gate = fields.BooleanField(default=False, db_default=False)
    "When on, the customer's acceptance converts the quote into a buy order."
    auto_convert = fields.BooleanField(default=False, db_default=False)
    "Days a customer link keeps opening a final quote after its last change."
    link_lifetime_days = fields.IntField(default=365, db_default=365)
    "The payout methods offered, in order of preference (PayoutMethod values); null: all of them."
    payout_methods = fields.JSONField(null=True)
    "The fulfilment methods offered (Fulfillment values); SHIP needs the receiving address."
    fulfillment_methods = fields.JSONField(null=True)
    "Days a customer has to answer a revised offer before the unit is returned."
    revision_reply_days = fields.IntField(default=14, db_default=14)
    quote_counter = fields.IntField(default=0)
    buy_order_counter = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "organization"


class StaffMember(Model):
    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="staff", on_delete=fields.CASCADE
    )
    organization_id: int
    name = fields.CharField(max_length=200)
    email = fields.CharField(max_length=254)
    role = fields.CharEnumField(StaffRole, max_length=16)
    active = fields.BooleanField(default=True)
    "Invited and not signed in yet."
    invitation_pending = fields.BooleanField(default=False, db_default=False)
    last_active_at = fields.DatetimeField(null=True)
    deactivated_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "staff_member"
        unique_together = (("organization", "email"),)


class TokenKind(StrEnum):
    STAFF = "STAFF"
    PORTAL = "PORTAL"
    PARTNER = "PARTNER"


class TokenPurpose(StrEnum):
    """What a staff token is for: a sign-in session, or a named personal access token."""

    SESSION = "SESSION"
    PERSONAL = "PERSONAL"


class AccessToken(Model):
    """A bearer token, stored only as the SHA-256 of its text."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(TokenKind, max_length=16)
    token_hash = fields.CharField(max_length=64, unique=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="tokens", on_delete=fields.CASCADE
    )
    organization_id: int
    staff: fields.ForeignKeyNullableRelation[StaffMember] = fields.ForeignKeyField(
        "models.StaffMember", related_name="tokens", null=True, on_delete=fields.CASCADE
    )
    staff_id: int | None
    customer_email = fields.CharField(max_length=254, null=True)
    label = fields.CharField(max_length=100, null=True)
    purpose = fields.CharEnumField(TokenPurpose, max_length=16, null=True)
    "The first characters of the token, to recognise it in a list (e.g. tqs_Ab3x)."
    hint = fields.CharField(max_length=16, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    "Updated at most once a minute."
    last_used_at = fields.DatetimeField(null=True)
    "PARTNER keys: the scopes it holds (models.partners.Scope values)."
    scopes = fields.JSONField(null=True)

    class Meta:
        table = "access_token"
        indexes = (("staff_id", "purpose"),)
