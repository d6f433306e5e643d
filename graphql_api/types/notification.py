"""Staff notifications: what happened to which quote, and whether this staff member read it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserError
from graphql_api.ids import to_cursor, to_global_id
from graphql_api.loaders import NotificationRecord
from graphql_api.types.common import Node, PageInfo
from graphql_api.types.enums import NotificationKind

if TYPE_CHECKING:
    from graphql_api.types.quote import Quote


@strawberry.type(
    description="Something a customer did (or the clock) that the organization's staff should know."
)
class Notification(Node):
    id: strawberry.ID
    kind: NotificationKind
    message: str = strawberry.field(description="One line naming the quote and the customer.")
    created_at: datetime
    _record: strawberry.Private[NotificationRecord]

    @classmethod
    def from_record(cls, record: NotificationRecord) -> Notification:
        return cls(
            id=strawberry.ID(to_global_id("Notification", record.id)),
            kind=record.kind,
            message=record.message,
            created_at=record.created_at,
            _record=record,
        )

    @strawberry.field(description="The quote it is about.")
    async def quote(
        self, info: Info
    ) -> Annotated[Quote, strawberry.lazy("graphql_api.types.quote")] | None:
        from graphql_api.types.quote import load_quote

        return await load_quote(info, self._record.quote_id)

    @strawberry.field(
        description="When you read it; null while unread. Each staff member reads for themselves."
    )
    async def read_at(self, info: Info) -> datetime | None:
        staff_id = info.context.viewer.staff_id
        if staff_id is None:
            return None
        return await info.context.loaders.read_at_by_staff.load((staff_id, self._record.id))


@strawberry.type
class NotificationEdge:
    cursor: str
    node: Notification


@strawberry.type(description="A page of notifications, newest first.")
class NotificationConnection:
    edges: list[NotificationEdge]
    page_info: PageInfo
    total_count: int
    unread_count: int = strawberry.field(
        description="Your unread notifications, whatever the filter."
    )


def notification_connection(
    records: list[NotificationRecord], first: int, total: int, unread: int, after: int | None
) -> NotificationConnection:
    page = records[:first]
    edges = [
        NotificationEdge(cursor=to_cursor(r.id), node=Notification.from_record(r)) for r in page
    ]
    return NotificationConnection(
        edges=edges,
        page_info=PageInfo.of(
            [edge.cursor for edge in edges], has_next=len(records) > first, after=after
        ),
        total_count=total,
        unread_count=unread,
    )


@strawberry.type
class MarkNotificationsReadPayload:
    unread_count: int
    user_errors: list[UserError]
