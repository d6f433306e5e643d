"""Staff notifications: `notifications`, `markNotificationsRead` and `notificationAdded`."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from tortoise.expressions import Q

from graphql_api.context import Info, use_loaders
from graphql_api.errors import attempt
from graphql_api.ids import decode_id, from_cursor, page_size
from graphql_api.live import Live
from graphql_api.loaders import NotificationRecord, newest_first
from graphql_api.permissions import staff_caller
from graphql_api.pubsub import is_resync
from graphql_api.types.notification import (
    MarkNotificationsReadPayload,
    Notification,
    NotificationConnection,
    notification_connection,
)
from models.notification import Notification as NotificationRow
from models.services import notifications
from resolvers.live import live_of

MAX_REMEMBERED = 10_000


@strawberry.input
class MarkNotificationsReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Null marks every notification read."
    )


@strawberry.type
class NotificationQueries:
    @strawberry.field(description="Staff: the organization's notifications, newest first.")
    async def notifications(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        unread_only: bool | None = None,
    ) -> NotificationConnection:
        caller = staff_caller(info)
        size = page_size(first, default=20)
        after_id = from_cursor(after)
        unread = notifications.unread_filter(caller)
        where = unread if unread_only else Q(organization_id=caller.organization_id)
        found, total = await newest_first(
            NotificationRow.filter(where), NotificationRecord, size, after_id
        )
        unread_count = total if unread_only else await NotificationRow.filter(unread).count()
        for record in found:
            info.context.loaders.notification_by_id.prime(record.id, record)
        return notification_connection(found, size, total, unread_count, after_id)


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(description="Staff: mark notifications read.")
    async def mark_notifications_read(
        self, info: Info, input: MarkNotificationsReadInput
    ) -> MarkNotificationsReadPayload:
        caller = info.context.caller
        ids = None if input.ids is None else [decode_id(i, "Notification") for i in input.ids]
        result = await attempt(notifications.mark_read(caller, ids))
        if isinstance(result, list):
            unread = await notifications.unread_count(caller)
            return MarkNotificationsReadPayload(unread_count=unread, user_errors=result)
        return MarkNotificationsReadPayload(unread_count=result, user_errors=[])


async def notifications_added(
    info: Info, live: Live, organization_id: int
) -> AsyncGenerator[Notification, None]:
    """Each notification once, as its event arrives. Notifications of different quotes commit
    in any order, so after a `resync` every one newer than the start and not yet sent is sent."""
    async with live.subscribe(notifications.organization_topic(organization_id)) as events:
        start = await info.context.loaders.last_notification_id_by_organization.load(
            organization_id
        )
        use_loaders(None)
        sent: set[int] = set()
        async for event in events:
            if is_resync(event):
                ids = await notifications.ids_after(organization_id, start)
            elif event.get("type") == "notification":
                ids = [event["notificationId"]]
            else:
                continue
            with live.delivery():
                use_loaders(live.loaders_for(event))
                for notification_id in ids:
                    if notification_id <= start or notification_id in sent:
                        continue
                    record = await info.context.loaders.notification_by_id.load(notification_id)
                    if record is None or record.organization_id != organization_id:
                        continue
                    sent.add(notification_id)
                    yield Notification.from_record(record)
            if len(sent) > MAX_REMEMBERED:  # forget the oldest half: they are long settled
                start = sorted(sent)[len(sent) // 2]
                sent = {i for i in sent if i > start}


@strawberry.type
class NotificationSubscriptions:
    @strawberry.subscription(description="Staff: each new in-app notification of the organization.")
    async def notification_added(self, info: Info) -> AsyncGenerator[Notification, None]:
        live = live_of(info)
        caller = staff_caller(info)
        assert caller.organization_id is not None
        return notifications_added(info, live, caller.organization_id)
