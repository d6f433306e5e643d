"""`auditLog` (OWNER, MANAGER): the organization's administrative actions, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.errors import bad_user_input, forbidden
from graphql_api.ids import decode_id, from_cursor, page_size
from graphql_api.permissions import staff_caller
from graphql_api.types.team import AuditAction, AuditEntryConnection, audit_page
from models import roles
from models.audit import AuditAction as Action
from models.services import audit


@strawberry.input(description="Narrow the audit log; every given condition must hold.")
class AuditLogFilter:
    actions: list[AuditAction] | None = strawberry.field(default=None, description="Any of these actions.")
    actor_id: strawberry.ID | None = strawberry.field(default=None, description="Taken by this StaffMember.")
    since: datetime | None = strawberry.field(default=None, description="At or after this time.")
    until: datetime | None = strawberry.field(default=None, description="Before this time.")


@strawberry.type
class AuditQueries:
    @strawberry.field(description="OWNER, MANAGER: the audit log, newest first.")
    async def audit_log(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="At most 100; 50 by default.")] = None,
        after: Annotated[str | None, strawberry.argument(description="The cursor of the last entry seen.")] = None,
        filter: AuditLogFilter | None = None,
    ) -> AuditEntryConnection:
        caller = staff_caller(info)
        if caller.role not in roles.ADMIN_ROLES:
            raise forbidden("The audit log is for OWNERs and MANAGERs.")
        assert caller.organization_id is not None
        size = page_size(first)
        conditions = audit.AuditFilter()
        if filter is not None:
            actor = None
            if filter.actor_id is not None:
                actor = decode_id(filter.actor_id, "StaffMember")
                if actor is None:
                    raise bad_user_input("Not a StaffMember ID.")
            conditions = audit.AuditFilter(
                actions=tuple(Action(a) for a in filter.actions or ()),
                actor_id=actor,
                since=filter.since,
                until=filter.until,
            )
        rows, has_next = await audit.entries(caller.organization_id, conditions, from_cursor(after), size)
        return audit_page(rows, has_next, after)
