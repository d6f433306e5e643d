"""What GraphQL subscriptions need from the running server: the broker's events, one set of
loaders per event shared by every local subscriber that resolves it, and the open WebSocket
connections, so that a shutdown can complete their subscriptions before closing them.

A thousand subscribers of one quote on this replica receive the same event object from the
broker; the first to resolve it loads what it needs, the others find it in that event's loaders,
so the cost per subscriber is the execution of its selection, not SQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, cast

import orjson

from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graphql_api.context import operation_loaders, use_loaders
from graphql_api.loaders import Loaders
from graphql_api.pubsub import Broker, Payload

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
        self._gc_pause = GCPause(MAX_GC_PAUSE_SECONDS)

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
        executor._per_event = True
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        """One execution per event for every subscriber with the same document, variables and
        viewer (see `shared_execution`)."""
        if not self.__dict__.get("_per_event"):
            return super().execute_operation(serially)
        return shared_execution(self, lambda: super(ExecutionContext, self).execute_operation(serially))


def _viewer_key(context: Any) -> Any:
    """Whose view an execution is: the viewer without the token it came with (two tabs of the
    same staff member, or a thousand customers on one link, see the same thing)."""
    viewer = getattr(context, "viewer", None)
    if viewer is None:
        return None
    return dataclasses.replace(viewer, token_id=None)


def shared_execution(executor: Any, execute: Callable[[], Any]) -> Any:
    """The result of `execute()` for this event, shared with every subscriber on this process
    that runs the same operation (the same parsed document: the parse cache hands it to all)
    with the same variables, as the same viewer, on the same event.

    The event is told apart by the record under the root value (`_record`, from the event's
    shared loaders); a root value without one is executed on its own. What differs per viewer
    (staff-only fields) is never shared: the viewer is part of the key."""
    loaders = operation_loaders()
    record = getattr(executor.root_value, "_record", None)
    viewer = _viewer_key(executor.context_value)
    if loaders is None or record is None or viewer is None:
        return execute()
    try:
        variables = orjson.dumps(executor.variable_values, option=orjson.OPT_SORT_KEYS, default=str)
    except TypeError:
        return execute()
    key = ("execution", id(executor.operation), variables, viewer, id(record))
    known = loaders.shared.get(key)
    if known is not None and known[0] is executor.operation and known[1] is record:
        result = known[2]
    else:
        result = execute()
        if executor.is_awaitable(result):
            result = asyncio.ensure_future(result)
        loaders.shared[key] = (executor.operation, record, result)
    if isinstance(result, asyncio.Future):
        return asyncio.shield(result)  # a subscriber that leaves does not cancel the others'
    return result


def shared_frame(loaders: Loaders | None, payload: dict[str, Any], encode: Callable[[Any], str]) -> str:
    """The encoded `payload` of a `next` message, encoded once per event for every subscriber
    whose execution was shared (the same data object)."""
    data = payload.get("data")
    if loaders is None or data is None or set(payload) - {"data", "errors"}:
        return encode(payload)
    key = ("frame", id(data))
    known = loaders.shared.get(key)
    if known is not None and known[0] is data:
        return cast(str, known[1])
    text = encode(payload)
    loaders.shared[key] = (data, text)
    return text
