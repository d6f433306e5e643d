"""The team's administration in the graph: access tokens, organization settings, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from graphql_api.context import Info
from graphql_api.ids import decode_id, to_cursor, to_global_id
from graphql_api.loaders import SettingsRecord
from graphql_api.types.common import Node, PageInfo
from graphql_api.types.enums import Fulfillment, PayoutMethod
from models import audit as audit_model
from models import fulfillment
from models.enums import PayoutMethod as PayoutMethodValue
from models.organization import AccessToken as AccessTokenRow
from models.services.organization_settings import ALL_PAYOUT_METHODS

AuditAction = strawberry.enum(
    audit_model.AuditAction, name="AuditAction", description="What an audit entry records."
)


@strawberry.type(name="AccessToken", description="A personal access token, as listed: never its secret.")
class AccessTokenInfo(Node):
    id: strawberry.ID
    name: str
    prefix: str = strawberry.field(description="The token's first characters, e.g. tqs_Ab3x, to recognise it.")
    created_at: datetime
    last_used_at: datetime | None = strawberry.field(description="To the minute; null if never used.")
    expires_at: datetime | None = strawberry.field(description="Null: it does not expire.")
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: AccessTokenRow) -> AccessTokenInfo:
        return cls(
            id=strawberry.ID(to_global_id("AccessToken", row.id)),
            name=row.label or "",
            prefix=row.hint or "",
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
        )


@strawberry.type(description="An organization's settings (staff only; OWNER and MANAGER change them).")
class OrganizationSettings:
    quote_validity_days: int = strawberry.field(description="Days a new quote stays open by default.")
    time_zone: str = strawberry.field(description="IANA zone in which a quote's last valid day ends.")
    notification_email: str | None = strawberry.field(
        description="Where staff notifications go besides the assigned member; null: nowhere else."
    )
    imei_lookups_per_quote: int | None = strawberry.field(
        description="IMEI look-ups allowed per quote; null: no limit."
    )
    finance_gate: bool = strawberry.field(description="Payouts wait for FINANCE approval.")
    auto_convert: bool = strawberry.field(
        description="The customer's acceptance converts the quote into a buy order."
    )
    link_lifetime_days: int = strawberry.field(
        description="Days a customer link keeps opening a final quote after its last change."
    )
    payout_methods: list[PayoutMethod] = strawberry.field(
        description="The payout methods offered, in order of preference."
    )
    revision_reply_days: int = strawberry.field(
        description="Days a customer has to answer a revised offer before the device is returned."
    )
    fulfillment_methods: list[Fulfillment] = strawberry.field(
        description="How customers may hand their devices over, in order of preference. SHIP "
        "(a shipping label) needs the receiving address (`updateBranding`)."
    )

    @classmethod
    def from_record(cls, record: SettingsRecord) -> OrganizationSettings:
        return cls(
            quote_validity_days=record.quote_validity_days,
            time_zone=record.time_zone,
            notification_email=record.notification_email,
            imei_lookups_per_quote=record.imei_lookups_per_quote,
            finance_gate=record.finance_gate,
            auto_convert=record.auto_convert,
            link_lifetime_days=record.link_lifetime_days,
            revision_reply_days=record.revision_reply_days,
            payout_methods=[
                PayoutMethodValue(m) for m in (record.payout_methods or ALL_PAYOUT_METHODS)
            ],
            fulfillment_methods=fulfillment.offered(
                record.fulfillment_methods, record.receiving_address
            ),
        )


async def load_settings(info: Info, organization_global_id: str) -> OrganizationSettings | None:
    """The settings, for staff of that organization only."""
    organization_id = decode_id(organization_global_id, "Organization")
    viewer = info.context.viewer
    if organization_id is None or viewer.staff_id is None or viewer.organization_id != organization_id:
        return None
    record = await info.context.loaders.settings_by_organization.load(organization_id)
    return None if record is None else OrganizationSettings.from_record(record)


@strawberry.type(description="One administrative action: who took it, when, and what it changed.")
class AuditEntry(Node):
    id: strawberry.ID
    action: AuditAction
    actor_name: str = strawberry.field(
        description="The staff member's name at the time, or `operator (command line)`."
    )
    actor_id: strawberry.ID | None = strawberry.field(
        description="The acting StaffMember's ID; null for the command line."
    )
    target_type: str = strawberry.field(description="StaffMember, AccessToken, Quote or Organization.")
    target_id: strawberry.ID | None = strawberry.field(description="The global ID of what was acted on.")
    target_label: str | None = strawberry.field(description="A readable name: an email, a quote number…")
    before: JSON | None = strawberry.field(description="The changed values before the action.")
    after: JSON | None = strawberry.field(description="The changed values after it.")
    client_hash: str | None = strawberry.field(
        description="A keyed hash of the client address: tells sources apart without keeping the address."
    )
    user_agent: str | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AuditEntry:
        target = row["target_id"]
        return cls(
            id=strawberry.ID(to_global_id("AuditEntry", row["id"])),
            action=audit_model.AuditAction(row["action"]),
            actor_name=row["actor_name"],
            actor_id=strawberry.ID(to_global_id("StaffMember", row["actor_id"])) if row["actor_id"] else None,
            target_type=row["target_type"],
            target_id=strawberry.ID(to_global_id(row["target_type"], target)) if target else None,
            target_label=row["target_label"],
            before=row["before"],
            after=row["after"],
            client_hash=row["client_hash"],
            user_agent=row["user_agent"],
            created_at=row["created_at"],
        )


@strawberry.type(description="An audit entry and its cursor.")
class AuditEntryEdge:
    cursor: str
    node: AuditEntry


@strawberry.type(description="A page of the audit log, newest first.")
class AuditEntryConnection:
    edges: list[AuditEntryEdge]
    page_info: PageInfo


def audit_page(rows: list[dict[str, Any]], has_next: bool, after: str | None) -> AuditEntryConnection:
    edges = [AuditEntryEdge(cursor=to_cursor(row["id"]), node=AuditEntry.from_row(row)) for row in rows]
    return AuditEntryConnection(
        edges=edges,
        page_info=PageInfo.of([e.cursor for e in edges], has_next=has_next, after=after),
    )
