"""What partners integrate with: persisted documents (automatic persisted queries and trusted
documents), the scopes of their API keys, and webhook endpoints with their events and
deliveries (the webhook outbox)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.organization import Organization


class DocumentKind(StrEnum):
    """APQ: registered by any client on first use (bounded, evicted). TRUSTED: imported from a
    client's manifest by an operator (never evicted, the only kind a PARTNER key may run)."""

    APQ = "APQ"
    TRUSTED = "TRUSTED"


class Scope(StrEnum):
    """What a partner API key may read and do."""

    QUOTES_READ = "quotes:read"
    QUOTES_WRITE = "quotes:write"
    TRADE_INS_WRITE = "trade_ins:write"
    WEBHOOKS_MANAGE = "webhooks:manage"


class WebhookEventType(StrEnum):
    QUOTE_SUBMITTED = "quote.submitted"
    QUOTE_COUNTERED = "quote.countered"
    QUOTE_ACCEPTED = "quote.accepted"
    QUOTE_WITHDRAWN = "quote.withdrawn"
    QUOTE_REJECTED = "quote.rejected"
    QUOTE_CONVERTED = "quote.converted"
    QUOTE_CANCELED = "quote.canceled"
    QUOTE_EXPIRED = "quote.expired"
    MESSAGE_POSTED = "message.posted"
    PING = "webhook.ping"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class PersistedDocument(Model):
    """A GraphQL document known by the SHA-256 of its text."""

    id = fields.IntField(primary_key=True)
    "Lower-case hex SHA-256 of the text (the APQ hash, and the documentId after `sha256:`)."
    sha256 = fields.CharField(max_length=64)
    kind = fields.CharEnumField(DocumentKind, max_length=8)
    "The client whose manifest brought it (TRUSTED only)."
    client = fields.CharField(max_length=100, null=True)
    "The manifest's own id for it (a Relay id may be any string), if it differs from the hash."
    manifest_id = fields.CharField(max_length=200, null=True)
    body = fields.TextField()
    created_at = fields.DatetimeField()
    "APQ entries used least recently are evicted first (updated at most once an hour)."
    used_at = fields.DatetimeField()

    class Meta:
        table = "persisted_document"
        unique_together = (("sha256", "kind", "client"),)
        indexes = (("kind", "used_at"), ("manifest_id",))


class WebhookEndpoint(Model):
    """Where an organization wants to hear about its quotes, and which events."""

    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="webhook_endpoints", on_delete=fields.CASCADE
    )
    organization_id: int
    url = fields.CharField(max_length=2000)
    description = fields.CharField(max_length=200, null=True)
    "Event types (WebhookEventType values) it receives, or empty for every type."
    events = fields.JSONField(default=list)
    "The HMAC secret, `whsec_` and base64 (shown once at creation)."
    secret = fields.CharField(max_length=100)
    enabled = fields.BooleanField(default=True)
    "Why it was disabled by the server (after failing for a day), if it was."
    disabled_reason = fields.CharField(max_length=300, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "webhook_endpoint"
        indexes = (("organization_id", "enabled"),)


class WebhookEvent(Model):
    """One event as sent to every endpoint that wants it: its JSON body never changes."""

    id = fields.IntField(primary_key=True)
    "The `webhook-id`: receivers deduplicate by it (`evt_…`)."
    event_id = fields.CharField(max_length=40, unique=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="webhook_events", on_delete=fields.CASCADE
    )
    organization_id: int
    type = fields.CharEnumField(WebhookEventType, max_length=32)
    quote_id = fields.IntField(null=True)
    "The JSON body, exactly as signed and sent."
    body = fields.TextField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "webhook_event"


class WebhookDelivery(Model):
    """An event owed to one endpoint: the webhook outbox row, written with the change."""

    id = fields.IntField(primary_key=True)
    endpoint: fields.ForeignKeyRelation[WebhookEndpoint] = fields.ForeignKeyField(
        "models.WebhookEndpoint", related_name="deliveries", on_delete=fields.CASCADE
    )
    endpoint_id: int
    event: fields.ForeignKeyRelation[WebhookEvent] = fields.ForeignKeyField(
        "models.WebhookEvent", related_name="deliveries", on_delete=fields.CASCADE
    )
    event_id: int
    "Copied from the event: deliveries of one quote to one endpoint go in order."
    quote_id = fields.IntField(null=True)
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    created_at = fields.DatetimeField()
    delivered_at = fields.DatetimeField(null=True)
    "The last attempt's HTTP status (null: no answer), error, and a short excerpt of the body."
    last_status = fields.IntField(null=True)
    last_error = fields.CharField(max_length=500, null=True)
    last_response = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "webhook_delivery"
        indexes = (("status", "next_attempt_at"), ("endpoint_id", "quote_id", "status"))


class WebhookAttempt(Model):
    """One try of a delivery, for the delivery log."""

    id = fields.IntField(primary_key=True)
    delivery: fields.ForeignKeyRelation[WebhookDelivery] = fields.ForeignKeyField(
        "models.WebhookDelivery", related_name="attempt_rows", on_delete=fields.CASCADE
    )
    delivery_id: int
    at = fields.DatetimeField()
    status_code = fields.IntField(null=True)
    error = fields.CharField(max_length=500, null=True)
    response_excerpt = fields.CharField(max_length=500, null=True)
    duration_ms = fields.IntField()

    class Meta:
        table = "webhook_attempt"
        indexes = (("delivery_id",),)
