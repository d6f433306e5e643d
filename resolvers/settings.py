"""`updateOrganizationSettings` (OWNER, MANAGER); they are read on `Organization.settings`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserError, attempt
from graphql_api.loaders import SettingsRecord, columns
from graphql_api.types.enums import Fulfillment, PayoutMethod
from graphql_api.types.team import OrganizationSettings
from models.services.organization_settings import FIELDS, SettingsIn, update_settings
from resolvers.team import admin


@strawberry.input(description="Leave a setting out to keep it.")
class UpdateOrganizationSettingsInput:
    quote_validity_days: int | None = strawberry.field(default=strawberry.UNSET, description="1 to 365.")
    time_zone: str | None = strawberry.field(
        default=strawberry.UNSET, description="An IANA time zone, e.g. Europe/Berlin."
    )
    notification_email: str | None = strawberry.field(
        default=strawberry.UNSET, description="An email address; null or empty clears it."
    )
    imei_lookups_per_quote: int | None = strawberry.field(
        default=strawberry.UNSET, description="0 to 10000; null: no limit."
    )
    finance_gate: bool | None = strawberry.field(default=strawberry.UNSET, description="Payouts wait for FINANCE.")
    auto_convert: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Acceptance converts the quote."
    )
    link_lifetime_days: int | None = strawberry.field(
        default=strawberry.UNSET, description="1 to 3650: how long a final quote's link keeps opening it."
    )
    payout_methods: list[PayoutMethod] | None = strawberry.field(
        default=strawberry.UNSET, description="At least one, no repeats, in order of preference."
    )
    revision_reply_days: int | None = strawberry.field(
        default=strawberry.UNSET, description="1 to 60: days a customer has to answer a revised offer."
    )
    fulfillment_methods: list[Fulfillment] | None = strawberry.field(
        default=strawberry.UNSET,
        description="At least one, no repeats, in order of preference; SHIP needs the receiving address.",
    )


@strawberry.type(description="The settings as they stand, or why nothing changed.")
class UpdateOrganizationSettingsPayload:
    settings: OrganizationSettings | None
    user_errors: list[UserError]


@strawberry.type
class SettingsMutations:
    @strawberry.mutation(description="OWNER, MANAGER: change the organization's settings, all or nothing.")
    async def update_organization_settings(
        self, info: Info, input: UpdateOrganizationSettingsInput
    ) -> UpdateOrganizationSettingsPayload:
        by = admin(info)
        changes: dict[str, Any] = {}
        for name in FIELDS:
            value = getattr(input, name)
            if value is strawberry.UNSET:
                continue
            changes[name] = value
        result = await attempt(
            update_settings(info.context.deps.bus, by, SettingsIn(changes), datetime.now(UTC))
        )
        if isinstance(result, list):
            return UpdateOrganizationSettingsPayload(settings=None, user_errors=result)
        record = SettingsRecord(**{name: getattr(result, name) for name in columns(SettingsRecord)})
        return UpdateOrganizationSettingsPayload(
            settings=OrganizationSettings.from_record(record), user_errors=[]
        )
