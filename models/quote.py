"""Quotes, their lines and device units, the thread, the event chain and the acceptance."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.enums import Author, CarrierLock, DeviceCondition, DeviceType, MessageKind
from models.negotiation import LineAction, LineStatus, Party, QuoteSource, QuoteStatus
from models.organization import Organization, StaffMember


def money_field(**kwargs: object) -> fields.DecimalField:
    return fields.DecimalField(max_digits=15, decimal_places=3, **kwargs)  # type: ignore[arg-type]


class Quote(Model):
    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="quotes", on_delete=fields.CASCADE
    )
    organization_id: int
    number = fields.CharField(max_length=32)
    status = fields.CharEnumField(QuoteStatus, max_length=16)
    awaiting = fields.CharEnumField(Party, max_length=16, null=True)
    source = fields.CharEnumField(QuoteSource, max_length=16)
    contact_name = fields.CharField(max_length=200, null=True)
    contact_email = fields.CharField(max_length=254, null=True, db_index=True)
    contact_phone = fields.CharField(max_length=32, null=True)
    currency_code = fields.CharField(max_length=3)
    version = fields.IntField(default=1)
    recallable = fields.BooleanField(default=False)
    "Part of the link token's derivation: rotating it revokes every link of the quote."
    link_salt = fields.CharField(max_length=32)
    link_revoked = fields.BooleanField(default=False)
    created_by: fields.ForeignKeyNullableRelation[StaffMember] = fields.ForeignKeyField(
        "models.StaffMember", related_name="created_quotes", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    last_hash = fields.CharField(max_length=64)
    event_count = fields.IntField(default=0)
    "The Ed25519 seal of the chain head (last_hash, event_count): the key's id and signature."
    seal_key_id = fields.CharField(max_length=32, null=True)
    seal_signature = fields.CharField(max_length=128, null=True)
    expires_at = fields.DatetimeField(null=True)
    submitted_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "quote"
        unique_together = (("organization", "number"),)
        indexes = (("organization_id", "status"), ("status", "expires_at"), ("organization_id", "id"))


class QuoteLine(Model):
    id = fields.IntField(primary_key=True)
    quote: fields.ForeignKeyRelation[Quote] = fields.ForeignKeyField(
        "models.Quote", related_name="lines", on_delete=fields.CASCADE
    )
    quote_id: int
    position = fields.IntField()
    device_type = fields.CharEnumField(DeviceType, max_length=16)
    brand = fields.CharField(max_length=100)
    model = fields.CharField(max_length=100)
    storage = fields.CharField(max_length=32, null=True)
    color = fields.CharField(max_length=50, null=True)
    condition = fields.CharEnumField(DeviceCondition, max_length=16)
    condition_answers = fields.JSONField(default=list)
    carrier_lock = fields.CharEnumField(CarrierLock, max_length=16, default=CarrierLock.UNKNOWN)
    carrier = fields.CharField(max_length=100, null=True)
    quantity = fields.IntField()
    asking_price = money_field(null=True)
    customer_price = money_field(null=True)
    merchant_offer = money_field(null=True)
    agreed_price = money_field(null=True)
    status = fields.CharEnumField(LineStatus, max_length=16, default=LineStatus.PENDING)
    awaiting = fields.CharEnumField(Party, max_length=16, null=True)
    accepted_by = fields.CharEnumField(Party, max_length=16, null=True)

    class Meta:
        table = "quote_line"
        unique_together = (("quote", "position"),)


class DeviceUnit(Model):
    id = fields.IntField(primary_key=True)
    line: fields.ForeignKeyRelation[QuoteLine] = fields.ForeignKeyField(
        "models.QuoteLine", related_name="units", on_delete=fields.CASCADE
    )
    line_id: int
    quote: fields.ForeignKeyRelation[Quote] = fields.ForeignKeyField(
        "models.Quote", related_name="units", on_delete=fields.CASCADE
    )
    quote_id: int
    position = fields.IntField()
    imei = fields.CharField(max_length=15, null=True, db_index=True)
    serial = fields.CharField(max_length=64, null=True)
    "The latest check: {valid, flags, device, checkedAt}."
    check = fields.JSONField(null=True)

    class Meta:
        table = "device_unit"
        indexes = (("quote_id", "line_id"),)


class ThreadMessage(Model):
    id = fields.IntField(primary_key=True)
    quote: fields.ForeignKeyRelation[Quote] = fields.ForeignKeyField(
        "models.Quote", related_name="messages", on_delete=fields.CASCADE
    )
    quote_id: int
    kind = fields.CharEnumField(MessageKind, max_length=16)
    author = fields.CharEnumField(Author, max_length=16)
    author_name = fields.CharField(max_length=200, null=True)
    body = fields.TextField(null=True)
    staff: fields.ForeignKeyNullableRelation[StaffMember] = fields.ForeignKeyField(
        "models.StaffMember", related_name="messages", null=True, on_delete=fields.SET_NULL
    )
    staff_id: int | None
    "Salt of the chain's commitments to the author's name and the body (null: chained in plain text)."
    salt = fields.CharField(max_length=32, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "thread_message"
        indexes = (("quote_id", "id"),)


class LineChange(Model):
    id = fields.IntField(primary_key=True)
    line: fields.ForeignKeyRelation[QuoteLine] = fields.ForeignKeyField(
        "models.QuoteLine", related_name="changes", on_delete=fields.CASCADE
    )
    line_id: int
    quote: fields.ForeignKeyRelation[Quote] = fields.ForeignKeyField(
        "models.Quote", related_name="line_changes", on_delete=fields.CASCADE
    )
    quote_id: int
    message: fields.ForeignKeyRelation[ThreadMessage] = fields.ForeignKeyField(
        "models.ThreadMessage", related_name="line_changes", on_delete=fields.CASCADE
    )
    message_id: int
    by = fields.CharEnumField(Party, max_length=16)
    action = fields.CharEnumField(LineAction, max_length=16)
    price = money_field(null=True)
    "The line before this change, so that a recall can restore it."
    before = fields.JSONField()
    voided = fields.BooleanField(default=False)
    at = fields.DatetimeField()

    class Meta:
        table = "line_change"
        indexes = (("quote_id", "id"),)


class QuoteEvent(Model):
    """One link of the quote's hash chain. Append-only."""

    id = fields.IntField(primary_key=True)
    quote: fields.ForeignKeyRelation[Quote] = fields.ForeignKeyField(
        "models.Quote", related_name="events", on_delete=fields.CASCADE
    )
    quote_id: int
    seq = fields.IntField()
    payload = fields.JSONField()
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()

    class Meta:
        table = "quote_event"
        unique_together = (("quote", "seq"),)


class Acceptance(Model):
    id = fields.IntField(primary_key=True)
    quote: fields.ForeignKeyRelation[Quote] = fields.ForeignKeyField(
        "models.Quote", related_name="acceptances", on_delete=fields.CASCADE
    )
    quote_id: int
    event: fields.ForeignKeyRelation[QuoteEvent] = fields.ForeignKeyField(
        "models.QuoteEvent", related_name="acceptances", on_delete=fields.CASCADE
    )
    event_id: int
    signer_name = fields.CharField(max_length=200)
    signer_email = fields.CharField(max_length=254)
    consent = fields.BooleanField()
    client_ip = fields.CharField(max_length=64, null=True)
    user_agent = fields.CharField(max_length=500, null=True)
    terms = fields.JSONField()
    signature_hash = fields.CharField(max_length=64)
    signed_at = fields.DatetimeField()
    withdrawn_at = fields.DatetimeField(null=True)
    "Salt of the chain's commitments to the signer's name, email, address and user agent."
    salt = fields.CharField(max_length=32, null=True)
    "Which consent text was shown, and the SHA-256 of its exact text (both sealed)."
    consent_version = fields.CharField(max_length=32, null=True)
    consent_sha256 = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "acceptance"
        indexes = (("signature_hash",), ("quote_id", "id"))


class IdempotencyRecord(Model):
    """The first result of a keyed request, returned again to its retries."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="idempotency_records", on_delete=fields.CASCADE
    )
    organization_id: int
    scope = fields.CharField(max_length=64)
    key = fields.CharField(max_length=128)
    "SHA-256 of the canonical request: the same key with another request is refused."
    request_hash = fields.CharField(max_length=64, null=True)
    result = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "idempotency_record"
        unique_together = (("organization", "scope", "key"),)
