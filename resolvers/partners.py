"""Partners' root fields: API keys (OWNER), webhook endpoints and their delivery log (OWNER,
MANAGER, or a key with `webhooks:manage`)."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserError, attempt, forbidden, not_found
from graphql_api.ids import decode_id, to_global_id
from graphql_api.permissions import staff_caller
from graphql_api.types.partners import (
    ApiKey,
    ApiKeyScope,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventType,
)
from models.negotiation import StaffRole
from models.partners import DeliveryStatus
from models.partners import WebhookAttempt as AttemptRow
from models.partners import WebhookEndpoint as EndpointRow
from models.partners import WebhookDelivery as DeliveryRow
from models.partners import WebhookEvent as EventRow
from models.services import api_keys, webhooks
from models.webhook_signing import public_key
from resolvers.team import admin


@strawberry.input(description="A new partner API key.")
class CreateApiKeyInput:
    name: str = strawberry.field(description="Who or what uses it, e.g. `Marketplace X`.")
    scopes: list[ApiKeyScope] = strawberry.field(description="What it may read and do: at least one.")


@strawberry.input(description="The API key to revoke.")
class RevokeApiKeyInput:
    id: strawberry.ID


@strawberry.type(description="The new key: its secret is shown here once and never again.")
class CreateApiKeyPayload:
    token: str | None = strawberry.field(description="The secret (tqk_…): store it now.")
    api_key: ApiKey | None
    user_errors: list[UserError]


@strawberry.type(description="The revoked key, or why nothing changed.")
class RevokeApiKeyPayload:
    api_key: ApiKey | None
    user_errors: list[UserError]


@strawberry.input(description="A new webhook endpoint.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(description="http(s); private addresses only in development.")
    events: list[WebhookEventType] | None = strawberry.field(
        default=None, description="The event types it receives; null or empty: all of them."
    )
    description: str | None = None


@strawberry.input(description="Change an endpoint: what is null stays as it is.")
class UpdateWebhookEndpointInput:
    id: strawberry.ID
    url: str | None = None
    events: list[WebhookEventType] | None = strawberry.field(default=None, description="Empty: all.")
    enabled: bool | None = strawberry.field(default=None, description="Disabled endpoints get no new events.")


@strawberry.input(description="The endpoint to act on.")
class WebhookEndpointInput:
    id: strawberry.ID


@strawberry.input(description="The delivery to send again.")
class RedeliverWebhookInput:
    id: strawberry.ID


@strawberry.type(description="The endpoint, or why nothing changed.")
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None
    secret: str | None = strawberry.field(
        description="createWebhookEndpoint only: the HMAC secret (whsec_…), shown once."
    )
    public_key: str | None = strawberry.field(
        description="The server's Ed25519 key (whpk_…) that signs `v1a` signatures; also at /.well-known/tradequote-keys.json."
    )
    user_errors: list[UserError]


@strawberry.type(description="The queued delivery, or why nothing was queued.")
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None
    user_errors: list[UserError]


def _delivery(row: DeliveryRow, event: EventRow, attempts: list[AttemptRow]) -> WebhookDelivery:
    return WebhookDelivery(
        id=strawberry.ID(to_global_id("WebhookDelivery", row.id)),
        event_id=event.event_id,
        event_type=event.type,
        payload=event.body,
        status=row.status,
        attempt_count=row.attempts,
        next_attempt_at=row.next_attempt_at if row.status is DeliveryStatus.PENDING else None,
        delivered_at=row.delivered_at,
        created_at=row.created_at,
        attempts=[
            WebhookAttempt(
                at=a.at, status_code=a.status_code, error=a.error,
                response_excerpt=a.response_excerpt, duration_ms=a.duration_ms,
            )  # fmt: skip
            for a in attempts
        ],
    )


def _endpoint_id(value: strawberry.ID) -> int | None:
    return decode_id(value, "WebhookEndpoint")


@strawberry.type
class PartnerQueries:
    @strawberry.field(description="OWNER: the organization's partner API keys that are not revoked, newest first.")
    async def api_keys(self, info: Info) -> list[ApiKey]:
        owner = admin(info)
        if owner.role is not StaffRole.OWNER:
            raise forbidden("only an OWNER sees API keys")
        return [ApiKey.from_row(row) for row in await api_keys.api_keys(owner.organization_id)]

    @strawberry.field(description="OWNER, MANAGER (or `webhooks:manage`): the organization's webhook endpoints.")
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        rows = await attempt(webhooks.endpoints(staff_caller(info)))
        return [WebhookEndpoint.from_row(row) for row in rows if not isinstance(row, UserError)]

    @strawberry.field(description="OWNER, MANAGER (or `webhooks:manage`): an endpoint's latest deliveries (at most 100), newest first, with their attempts; empty for an unknown endpoint.")
    async def webhook_deliveries(
        self, info: Info, endpoint_id: strawberry.ID, first: int = 20
    ) -> list[WebhookDelivery]:
        result = await attempt(webhooks.deliveries(staff_caller(info), _endpoint_id(endpoint_id), first))
        return [_delivery(*item) for item in result if not isinstance(item, UserError)]


@strawberry.type
class PartnerMutations:
    @strawberry.mutation(description="OWNER: a new partner API key (tqk_…); its secret is shown once.")
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyPayload:
        result = await attempt(
            api_keys.create_api_key(admin(info), input.name, [s.value for s in input.scopes], datetime.now(UTC))
        )
        if isinstance(result, list):
            return CreateApiKeyPayload(token=None, api_key=None, user_errors=result)
        secret, row = result
        return CreateApiKeyPayload(token=secret, api_key=ApiKey.from_row(row), user_errors=[])

    @strawberry.mutation(description="OWNER: revoke a partner API key; it stops at once.")
    async def revoke_api_key(self, info: Info, input: RevokeApiKeyInput) -> RevokeApiKeyPayload:
        by = admin(info)
        key_id = decode_id(input.id, "ApiKey")
        if key_id is None:
            return RevokeApiKeyPayload(api_key=None, user_errors=not_found(["input", "id"]))
        result = await attempt(
            api_keys.revoke_api_key(info.context.deps.bus, by, key_id, datetime.now(UTC))
        )
        if isinstance(result, list):
            return RevokeApiKeyPayload(api_key=None, user_errors=result)
        return RevokeApiKeyPayload(api_key=ApiKey.from_row(result), user_errors=[])

    @strawberry.mutation(description="OWNER, MANAGER (or `webhooks:manage`): register an endpoint; its secret is shown once.")
    async def create_webhook_endpoint(
        self, info: Info, input: CreateWebhookEndpointInput
    ) -> WebhookEndpointPayload:
        result = await attempt(
            webhooks.create_endpoint(
                staff_caller(info), input.url, [e.value for e in input.events or []],
                input.description, info.context.settings.webhook_allow_private, datetime.now(UTC),
            )  # fmt: skip
        )
        return _endpoint_payload(info, result, show_secret=True)

    @strawberry.mutation(description="OWNER, MANAGER (or `webhooks:manage`): change, disable or enable an endpoint.")
    async def update_webhook_endpoint(
        self, info: Info, input: UpdateWebhookEndpointInput
    ) -> WebhookEndpointPayload:
        result = await attempt(
            webhooks.update_endpoint(
                staff_caller(info), _endpoint_id(input.id), url=input.url,
                events=None if input.events is None else [e.value for e in input.events],
                enabled=input.enabled, allow_private=info.context.settings.webhook_allow_private,
            )  # fmt: skip
        )
        return _endpoint_payload(info, result)

    @strawberry.mutation(description="OWNER, MANAGER (or `webhooks:manage`): delete an endpoint and what it was owed.")
    async def delete_webhook_endpoint(
        self, info: Info, input: WebhookEndpointInput
    ) -> WebhookEndpointPayload:
        result = await attempt(webhooks.delete_endpoint(staff_caller(info), _endpoint_id(input.id)))
        return _endpoint_payload(info, result)

    @strawberry.mutation(description="OWNER, MANAGER (or `webhooks:manage`): send a delivered or failed event again (same webhook-id).")
    async def redeliver_webhook(self, info: Info, input: RedeliverWebhookInput) -> WebhookDeliveryPayload:
        return await _queued(
            webhooks.redeliver(staff_caller(info), decode_id(input.id, "WebhookDelivery"), datetime.now(UTC))
        )

    @strawberry.mutation(description="OWNER, MANAGER (or `webhooks:manage`): queue a `webhook.ping` event to test an endpoint.")
    async def send_webhook_ping(self, info: Info, input: WebhookEndpointInput) -> WebhookDeliveryPayload:
        return await _queued(webhooks.ping(staff_caller(info), _endpoint_id(input.id), datetime.now(UTC)))


def _endpoint_payload(
    info: Info, result: EndpointRow | list[UserError], *, show_secret: bool = False
) -> WebhookEndpointPayload:
    """The endpoint (its secret only when just created), or why nothing changed."""
    if isinstance(result, list):
        return WebhookEndpointPayload(endpoint=None, secret=None, public_key=None, user_errors=result)
    return WebhookEndpointPayload(
        endpoint=WebhookEndpoint.from_row(result),
        secret=result.secret if show_secret else None,
        public_key=public_key(info.context.deps.keys),
        user_errors=[],
    )


async def _queued(action: object) -> WebhookDeliveryPayload:
    result = await attempt(action)  # type: ignore[arg-type]
    if isinstance(result, list):
        return WebhookDeliveryPayload(delivery=None, user_errors=result)
    event = await EventRow.get(id=result.event_id)
    return WebhookDeliveryPayload(delivery=_delivery(result, event, []), user_errors=[])
