"""`viewer` and the public `organization(slug)`."""

from __future__ import annotations

import strawberry

from graphql_api.context import Info
from graphql_api.loaders import OrganizationRecord, columns, records
from graphql_api.types.organization import Organization, Viewer
from models.organization import Organization as OrganizationRow


@strawberry.type
class OrganizationQueries:
    @strawberry.field
    def viewer(self, info: Info) -> Viewer:
        viewer = info.context.viewer
        return Viewer(kind=viewer.kind, customer_email=viewer.customer_email)

    @strawberry.field(
        description="Public: an organization's name, branding and questionnaire, for its trade-in page and portal."
    )
    async def organization(self, info: Info, slug: str) -> Organization | None:
        rows = await OrganizationRow.filter(slug=slug[:64]).values(*columns(OrganizationRecord))
        if not rows:
            return None
        record = records(OrganizationRecord, rows)[0]
        info.context.loaders.organization_by_id.prime(record.id, record)
        return Organization.from_record(record, info.context.settings.public_url)
