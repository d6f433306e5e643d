"""One subscription stream for every WebSocket subscriber on this process with the same document,
operation name, variables and viewer (the viewer without its token: two tabs of one staff member,
a thousand customers on one link).

The first such subscriber starts the stream, in a task of its own, with its context; the others
join it. Each result the stream yields (one execution per event) goes into every member's bounded
queue, and each member's operation sends it as its own protocol says, on its own connection: what
a member costs per event is taking the result from its queue and writing a frame (whose payload
the handler encodes once for all, `Live.frame`), not a subscription's whole execution machinery.

A member joins the stream where it stands: it receives what the stream yields from then on. A
member so far behind that its queue fills up (a client that stopped reading) is closed with 1013
"try again later", so that its client reconnects and reloads, rather than holding the others up
or missing events unnoticed. When the stream ends every member's operation completes; when the
last member leaves, the stream is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Hashable
from contextlib import AbstractContextManager
from typing import Any

import orjson
from graphql import GraphQLError, OperationType, get_operation_ast, parse

from graphql_api.auth import ViewerKind
from graphql_api.fanout import Awaited

QUEUE_SIZE = 256
TOO_SLOW = (1013, "too far behind: connect again")

Open = Callable[[], Awaitable[AsyncIterator[Any]]]


def stream_key(
    query: str | None, operation_name: str | None, variables: Any, context: Any, kind: str
) -> Hashable | None:
    """What subscribers must have in common to share a stream; None for an operation that runs on
    its own: not a subscription (a mutation is never shared), no signed-in viewer, an
    unparseable document (its error is the subscriber's own), variables that are not JSON."""
    viewer = getattr(context, "viewer", None)
    if query is None or viewer is None or getattr(context, "auth_error", None) is not None:
        return None
    if viewer.kind is ViewerKind.ANONYMOUS:
        return None
    try:
        operation = get_operation_ast(parse(query, no_location=True), operation_name)
        encoded = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    except (GraphQLError, TypeError):
        return None
    if operation is None or operation.operation is not OperationType.SUBSCRIPTION:
        return None
    return (kind, query, operation_name, encoded, dataclasses.replace(viewer, token_id=None))


class Member(Awaited):
    """One subscriber's bounded queue of the shared stream's results.

    Every result in the queue, and the one being sent, holds the garbage collector off
    (`Live.delivery`): the members of a stream send one after another, and a collection among
    them would find the whole burst alive."""

    def __init__(self, limit: int, pause: AbstractContextManager[None],
                 on_overflow: Callable[[], object]) -> None:  # fmt: skip
        super().__init__()
        self._limit = limit
        self._pause = pause
        self._on_overflow = on_overflow
        self._error: BaseException | None = None

    def push(self, result: Any) -> None:
        if self._closed:
            return
        if len(self._items) >= self._limit:
            self.drop()
            self._on_overflow()
            return
        self._pause.__enter__()
        self._items.append(result)
        self._wake()

    def end(self, error: BaseException | None = None) -> None:
        """No more results after those queued (then `error`, if any, is raised)."""
        self._error = error
        self.close()

    def drop(self) -> None:
        """No more results, not even those queued."""
        while self._items:
            self._items.pop()
            self.done()
        self.end()

    def done(self) -> None:
        """One result taken from the queue was sent."""
        self._pause.__exit__(None, None, None)

    def ended(self) -> BaseException:
        return self._error if self._error is not None else StopAsyncIteration()


class SharedStream:
    def __init__(self, streams: SharedStreams, key: Hashable, start: Open) -> None:
        self.members: set[Member] = set()
        self._streams = streams
        self._key = key
        self._task = asyncio.create_task(self._run(start))

    async def _run(self, start: Open) -> None:
        error: BaseException | None = None
        try:
            source = await start()
            async with contextlib.aclosing(source):  # type: ignore[type-var]
                async for result in source:
                    for member in list(self.members):
                        member.push(result)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the members' operations report it, as their own would
            error = exc
        finally:
            self._streams.forget(self._key, self)
            for member in self.members:
                member.end(error)

    def leave(self, member: Member) -> None:
        self.members.discard(member)
        if not self.members:
            self._streams.forget(self._key, self)
            self._task.cancel()


class SharedStreams:
    """The shared streams of this process, by what their subscribers have in common."""

    def __init__(self, pause: AbstractContextManager[None], queue_size: int = QUEUE_SIZE) -> None:
        self._streams: dict[Hashable, SharedStream] = {}
        self._pause = pause
        self._queue_size = queue_size

    def __len__(self) -> int:
        return len(self._streams)

    @property
    def subscribers(self) -> int:
        return sum(len(stream.members) for stream in self._streams.values())

    def forget(self, key: Hashable, stream: SharedStream) -> None:
        if self._streams.get(key) is stream:
            del self._streams[key]

    async def join(
        self, key: Hashable, start: Open, on_overflow: Callable[[], object]
    ) -> AsyncGenerator[Any, None]:
        """The results of the stream `key` from now on, starting it with `start()` if none runs.
        `on_overflow()` is called if this subscriber falls `queue_size` results behind."""
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = SharedStream(self, key, start)
        member = Member(self._queue_size, self._pause, on_overflow)
        stream.members.add(member)
        try:
            while True:
                try:
                    result = await member.take()  # `done()` once it is sent
                except StopAsyncIteration:
                    return
                try:
                    yield result
                finally:
                    member.done()
        finally:
            member.drop()
            stream.leave(member)
