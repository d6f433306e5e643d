"""Local fan-out of live events: each subscriber's bounded queue, and the subscribers by topic.

The brokers in `graphql_api.pubsub` feed events in; GraphQL subscriptions iterate them out.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

Payload = dict[str, Any]

QUEUE_SIZE = 256
RESYNC = "resync"


def resync_marker() -> Payload:
    """Tells a subscriber that events may have been missed and its state must be reloaded."""
    return {"type": RESYNC}


def is_resync(event: Payload) -> bool:
    return event.get("type") == RESYNC


class Awaited:
    """Items for one consumer, taken one at a time: `take` waits for the next one, and once
    the queue is closed and empty it ends (`ended`)."""

    def __init__(self) -> None:
        self._items: deque[Any] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def close(self) -> None:
        """No more items after those queued."""
        self._closed = True
        self._wake()

    def ended(self) -> BaseException:
        """What `take` raises once nothing is left."""
        return StopAsyncIteration()

    async def take(self) -> Any:
        while not self._items:
            if self._closed:
                raise self.ended()
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.popleft()


class Subscription(Awaited):
    """One subscriber's bounded queue of events: an async iterator that ends once closed."""

    def __init__(self, topic: str, limit: int) -> None:
        super().__init__()
        self.topic = topic
        self._limit = limit

    def push(self, event: Payload) -> None:
        if self._closed:
            return
        if len(self._items) >= self._limit:
            # Too slow to keep up: drop the backlog and ask for a reload instead.
            self._items.clear()
            event = resync_marker()
        elif is_resync(event) and self._items and is_resync(self._items[-1]):
            return
        self._items.append(event)
        self._wake()

    def resync(self) -> None:
        self.push(resync_marker())

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Payload:
        event: Payload = await self.take()
        return event


class Fanout:
    """The subscriptions of this process, by topic."""

    def __init__(self, queue_size: int = QUEUE_SIZE) -> None:
        self._queue_size = queue_size
        self._topics: dict[str, set[Subscription]] = {}
        self._closed = False

    @property
    def count(self) -> int:
        return sum(len(subscriptions) for subscriptions in self._topics.values())

    @contextlib.asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[Subscription]:
        subscription = Subscription(topic, self._queue_size)
        if self._closed:
            subscription.close()
        else:
            self._topics.setdefault(topic, set()).add(subscription)
        try:
            yield subscription
        finally:
            subscription.close()
            subscriptions = self._topics.get(topic)
            if subscriptions is not None:
                subscriptions.discard(subscription)
                if not subscriptions:
                    del self._topics[topic]

    def dispatch(self, topic: str, event: Payload) -> None:
        for subscription in self._topics.get(topic, ()):
            subscription.push(event)

    def resync_all(self) -> None:
        # One marker for all: subscribers that reload per event share that reload.
        marker = resync_marker()
        for subscriptions in self._topics.values():
            for subscription in subscriptions:
                subscription.push(marker)

    def open(self) -> None:
        self._closed = False

    def close(self) -> None:
        """End every subscription; later ones end at once until reopened."""
        self._closed = True
        for subscriptions in self._topics.values():
            for subscription in subscriptions:
                subscription.close()
