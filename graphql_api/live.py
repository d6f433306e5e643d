"""What GraphQL subscriptions need from the running server: the broker's events, the streams
that subscribers with the same document, variables and viewer share (`shared_streams`), one set
of loaders per event shared by every stream that resolves it, and the open WebSocket
connections, so that a shutdown can complete their subscriptions before closing them.

A thousand subscribers of one quote on this replica with a few distinct viewers and documents
run a few streams: the broker hands each stream the same event object; the first to resolve it
loads what it needs, the others find it in that event's loaders. Each stream executes its
selection once per event, and its result is encoded once for all its subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graphql_api.context import use_loaders
from graphql_api.loaders import Loaders
from graphql_api.pubsub import Broker, Payload
from graphql_api.shared_streams import SharedStreams

log = logging.getLogger(__name__)

REMEMBERED_EVENTS = 16
DRAIN_SECONDS = 5.0
MAX_GC_PAUSE_SECONDS = 1.0


class Connection(Protocol):
    async def finish(self) -> None:
        """Wait for the connection's operations to complete, then close it normally."""


class Live:
    """The live side of one server process, shared by every WebSocket connection to it."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.connections: set[Connection] = set()
        "Set once shutdown began: new WebSocket connections are turned away."
        self.closing = False
        self._loaders: OrderedDict[int, tuple[Payload, Loaders]] = OrderedDict()
        self._frames: OrderedDict[int, tuple[Any, str]] = OrderedDict()
        self._gc_pause = GCPause(MAX_GC_PAUSE_SECONDS)
        self.streams = SharedStreams(self._gc_pause)

    def delivery(self) -> contextlib.AbstractContextManager[None]:
        """Around one subscriber's handling of one event, from picking it up to asking for the
        next: see `GCPause`."""
        return self._gc_pause

    def subscribe(self, topic: str) -> AbstractAsyncContextManager[AsyncIterator[Payload]]:
        return self.broker.subscribe(topic)

    def loaders_for(self, event: Payload) -> Loaders:
        """Fresh loaders for this event, the same for every subscriber that resolves it.

        The broker hands one payload object to all the subscribers of a topic; the last few
        are remembered (holding the payload keeps its id from being reused), since subscribers
        resolve an event within its burst. One so far behind that its event was forgotten
        simply gets new loaders. (Remembering more keeps more cyclic garbage for the oldest
        generation of the garbage collector.)"""
        key = id(event)
        known = self._loaders.get(key)
        if known is not None and known[0] is event:
            return known[1]
        loaders = Loaders()
        self._loaders[key] = (event, loaders)
        if len(self._loaders) > REMEMBERED_EVENTS:
            self._loaders.popitem(last=False)
        return loaders

    @property
    def subscriptions(self) -> int:
        """Active subscriptions on this process: one per subscriber, shared streams or not."""
        return self.broker.active_subscriptions - len(self.streams) + self.streams.subscribers

    def frame(self, payload: dict[str, Any], encode: Callable[[Any], str]) -> str:
        """The encoded `payload` of a `next` message, encoded once for every member of a shared
        stream (they send the same result: the same data object). The last few are remembered
        (holding the data keeps its id from being reused)."""
        data = payload.get("data")
        if data is None or set(payload) - {"data", "errors"}:
            return encode(payload)
        key = id(data)
        known = self._frames.get(key)
        if known is not None and known[0] is data:
            return known[1]
        text = encode(payload)
        self._frames[key] = (data, text)
        if len(self._frames) > REMEMBERED_EVENTS:
            self._frames.popitem(last=False)
        return text

    async def drain(self, timeout: float = DRAIN_SECONDS) -> None:
        """Shutdown: end every subscription (each client gets `complete`), then close each
        connection normally, before the server drops whatever is still open."""
        self.closing = True
        await self.broker.stop()
        if self.connections:
            finishing = [asyncio.ensure_future(c.finish()) for c in list(self.connections)]
            _, pending = await asyncio.wait(finishing, timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("%d WebSocket connection(s) did not close in time", len(pending))


class GCPause:
    """Holds the cyclic garbage collector off while this process fans events out.

    An event for a thousand local subscribers puts all of them mid-flight at once (they wait
    on the same loads, then execute one after another). A collection in the middle finds their
    temporary objects alive, promotes them, and soon a full collection walks every object of
    every open connection: hundreds of milliseconds, right in the delivery. Reference counting
    still frees nearly everything as each delivery ends; the collector resumes once the burst
    is over, or after `max_pause` seconds whatever happens, and never if someone else had it
    disabled."""

    def __init__(self, max_pause: float) -> None:
        self.max_pause = max_pause
        self._active = 0
        self._paused = False
        self._deadline: asyncio.TimerHandle | None = None

    def __enter__(self) -> None:
        self._active += 1
        if self._active == 1 and gc.isenabled():
            gc.disable()
            self._paused = True
            self._deadline = asyncio.get_running_loop().call_later(self.max_pause, self._resume)

    def __exit__(self, *exc_info: object) -> None:
        self._active -= 1
        if self._active == 0:
            self._resume()

    def _resume(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if self._paused:
            self._paused = False
            gc.enable()


class LoadersPerOperation(SchemaExtension):
    """A WebSocket connection keeps one context for its life: give each operation on it fresh
    loaders, as an HTTP request gets with its own context (whose operations start from that
    context's loaders, whatever an earlier operation in the same task left behind)."""

    def on_operation(self) -> Iterator[None]:
        websocket = isinstance(getattr(self.execution_context.context, "request", None), WebSocket)
        use_loaders(Loaders() if websocket else None)
        yield


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Each subscription event executes with a copy of the subscription's executor. In
    graphql-core 3.3 the copy is shallow, so every event shares one memo of collected subfields,
    keyed by the identity of per-event lists that it keeps alive: it grows with each event
    delivered, for as long as the subscription lives. Give every event a memo of its own.

    And copy it the way `copy.copy` does for a plain object, without its generic (and, at a
    thousand subscribers an event, costly) `__reduce_ex__` path."""

    def __copy__(self) -> ExecutionContext:
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        return clone

    def build_per_event_executor(self, payload: Any) -> Any:
        executor = super().build_per_event_executor(payload)
        executor._relevant_sub_fields = {}
        return executor
