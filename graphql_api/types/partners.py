"""Partners in the graph: API keys, webhook endpoints, their deliveries and attempts."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_api.ids import to_global_id
from graphql_api.types.common import Node
from models import partners as model
from models.organization import AccessToken as AccessTokenRow

ApiKeyScope = strawberry.enum(
    model.Scope,
    name="ApiKeyScope",
    description="What a partner API key may do: `quotes:read`, `quotes:write`, `trade_ins:write`, `webhooks:manage`.",
)
WebhookEventType = strawberry.enum(
    model.WebhookEventType,
    name="WebhookEventType",
    description="What a webhook tells: the value is the event's `type` in its JSON body (e.g. `quote.accepted`).",
)
WebhookDeliveryStatus = strawberry.enum(
    model.DeliveryStatus,
    name="WebhookDeliveryStatus",
    description="PENDING (waiting or retrying), DELIVERED (a 2xx answer), FAILED (gave up after a day).",
)


@strawberry.type(description="A partner's API key (tqk_…), as listed: never its secret.")
class ApiKey(Node):
    id: strawberry.ID
    name: str
    prefix: str = strawberry.field(description="The key's first characters, e.g. tqk_Ab3x.")
    scopes: list[ApiKeyScope] = strawberry.field(description="What the key may read and do.")
    created_at: datetime
    last_used_at: datetime | None = strawberry.field(description="To the minute; null if never used.")
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: AccessTokenRow) -> ApiKey:
        return cls(
            id=strawberry.ID(to_global_id("ApiKey", row.id)),
            name=row.label or "",
            prefix=row.hint or "",
            scopes=[model.Scope(scope) for scope in row.scopes or []],
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )


@strawberry.type(description="Where the organization's webhooks go.")
class WebhookEndpoint(Node):
    id: strawberry.ID
    url: str = strawberry.field(description="An http(s) URL; private addresses only in development.")
    description: str | None
    events: list[WebhookEventType] = strawberry.field(description="The event types it receives; empty: all.")
    enabled: bool
    disabled_reason: str | None = strawberry.field(
        description="Why the server disabled it (after failing for a day); null if it did not."
    )
    created_at: datetime

    @classmethod
    def from_row(cls, row: model.WebhookEndpoint) -> WebhookEndpoint:
        return cls(
            id=strawberry.ID(to_global_id("WebhookEndpoint", row.id)),
            url=row.url,
            description=row.description,
            events=[model.WebhookEventType(event) for event in row.events or []],
            enabled=row.enabled,
            disabled_reason=row.disabled_reason,
            created_at=row.created_at,
        )


@strawberry.type(description="One try of a delivery.")
class WebhookAttempt:
    at: datetime
    status_code: int | None = strawberry.field(description="The receiver's HTTP status; null: no answer.")
    error: str | None = strawberry.field(description="Why it failed, if it did.")
    response_excerpt: str | None = strawberry.field(description="The start of the answer's body.")
    duration_ms: int = strawberry.field(description="How long the try took.")


@strawberry.type(description="An event owed to an endpoint, with its attempts.")
class WebhookDelivery(Node):
    id: strawberry.ID
    event_id: str = strawberry.field(description="The `webhook-id` header: receivers deduplicate by it.")
    event_type: WebhookEventType
    payload: str = strawberry.field(description="The JSON body, exactly as signed and sent.")
    status: WebhookDeliveryStatus
    attempt_count: int = strawberry.field(description="Tries so far.")
    next_attempt_at: datetime | None = strawberry.field(description="When it is tried next (PENDING).")
    delivered_at: datetime | None
    created_at: datetime
    attempts: list[WebhookAttempt] = strawberry.field(description="Its tries, oldest first.")
