"""The organization, its public branding and questionnaire, its staff, and the viewer."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.ids import to_global_id
from graphql_api.loaders import OrganizationRecord, StaffRecord
from graphql_api.types.common import Node
from graphql_api.types.enums import StaffRole, ViewerKind

if TYPE_CHECKING:
    from graphql_api.types.quote import Quote
    from graphql_api.types.team import OrganizationSettings


@strawberry.type(description="An organization's look on its pages, emails and PDFs.")
class Branding:
    logo_url: str | None
    accent_color: str | None = strawberry.field(description="A CSS colour, e.g. #0a7d5a.")
    headline: str | None
    footer_text: str | None


@strawberry.type(description="One question of the condition questionnaire.")
class ConditionQuestion:
    key: str = strawberry.field(description="Stable key, e.g. screen, body, battery, accessories.")
    label: str
    options: list[str]


@strawberry.type(description="A merchant: a phone shop, a refurbisher, a trade-in desk.")
class Organization(Node):
    id: strawberry.ID
    name: str
    slug: str = strawberry.field(
        description="Used in public URLs: the trade-in page and the customer portal."
    )
    currency_code: str
    branding: Branding
    condition_questions: list[ConditionQuestion] = strawberry.field(
        description="The condition questionnaire that trade-in and request forms show."
    )
    shows_instant_offers: bool = strawberry.field(
        description="Whether the trade-in page quotes prices at once (`instantQuote`) and customers see their lines' instant offers."
    )

    @strawberry.field(
        description="Staff of this organization only (null for anyone else): its settings."
    )
    async def settings(
        self, info: Info
    ) -> Annotated[OrganizationSettings, strawberry.lazy("graphql_api.types.team")] | None:
        from graphql_api.types.team import load_settings

        return await load_settings(info, self.id)

    @classmethod
    def from_record(cls, record: OrganizationRecord, public_url: str) -> Organization:
        logo = (
            f"{public_url}/organizations/{record.slug}/logo" if record.logo_content_type else None
        )
        return cls(
            id=strawberry.ID(to_global_id("Organization", record.id)),
            name=record.name,
            slug=record.slug,
            currency_code=record.currency_code,
            branding=Branding(
                logo_url=logo,
                accent_color=record.accent_color,
                headline=record.headline,
                footer_text=record.footer_text,
            ),
            condition_questions=[
                ConditionQuestion(key=q["key"], label=q["label"], options=list(q["options"]))
                for q in record.condition_questions
            ],
            shows_instant_offers=record.show_instant_offers,
        )


async def load_organization(info: Info, organization_id: int) -> Organization | None:
    record = await info.context.loaders.organization_by_id.load(organization_id)
    return (
        None
        if record is None
        else Organization.from_record(record, info.context.settings.public_url)
    )


@strawberry.enum(description="Where a staff member stands.")
class StaffStatus(Enum):
    "Invited and not signed in yet."
    INVITED = "INVITED"
    ACTIVE = "ACTIVE"
    "Deactivated: every token of theirs is revoked; their quotes stay."
    DEACTIVATED = "DEACTIVATED"


@strawberry.type(description="A member of an organization's staff.")
class StaffMember(Node):
    id: strawberry.ID
    name: str
    email: str
    role: StaffRole
    status: StaffStatus = strawberry.field(description="Invited, active or deactivated.")
    last_active_at: datetime | None = strawberry.field(
        description="When one of their tokens was last used (to the minute); null if never."
    )

    @classmethod
    def from_record(cls, record: StaffRecord) -> StaffMember:
        status = (
            StaffStatus.DEACTIVATED
            if not record.active
            else StaffStatus.INVITED if record.invitation_pending else StaffStatus.ACTIVE
        )
        return cls(
            id=strawberry.ID(to_global_id("StaffMember", record.id)),
            name=record.name,
            email=record.email,
            role=record.role,
            status=status,
            last_active_at=record.last_active_at,
        )


@strawberry.type(
    description="Who the Authorization header (or the WebSocket connection_init payload) says you are."
)
class Viewer:
    kind: ViewerKind
    customer_email: str | None = strawberry.field(
        description="The customer's email, for a link or a portal session."
    )

    @strawberry.field
    async def organization(self, info: Info) -> Organization | None:
        organization_id = info.context.viewer.organization_id
        return None if organization_id is None else await load_organization(info, organization_id)

    @strawberry.field
    async def staff(self, info: Info) -> StaffMember | None:
        staff_id = info.context.viewer.staff_id
        if staff_id is None:
            return None
        record = await info.context.loaders.staff_by_id.load(staff_id)
        return None if record is None else StaffMember.from_record(record)

    @strawberry.field(description="For a quote link: the one quote it opens.")
    async def quote(
        self, info: Info
    ) -> Annotated[Quote, strawberry.lazy("graphql_api.types.quote")] | None:
        from graphql_api.types.quote import open_quote

        quote_id = info.context.viewer.quote_id
        return None if quote_id is None else await open_quote(info, quote_id)
