"""A shared subscription stream on its own: every member gets every result from where it joined,
a member that falls too far behind is told so and dropped without holding the others up, and the
stream closes once its last member leaves."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator

from graphql_api.live import GCPause
from graphql_api.shared_streams import SharedStreams


class Source:
    """A stream's source: yields what is put in, until closed; records that it was closed."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[object] = asyncio.Queue()
        self.started = 0
        self.closed = False

    async def open(self) -> AsyncIterator[object]:
        self.started += 1
        return self.results()

    async def results(self) -> AsyncIterator[object]:
        try:
            while (item := await self.queue.get()) is not None:
                yield item
        finally:
            self.closed = True


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_members_share_one_source_and_a_slow_one_is_dropped() -> None:
    streams = SharedStreams(GCPause(1.0), queue_size=3)
    source = Source()
    overflowed: list[str] = []
    fast = streams.join("key", source.open, lambda: overflowed.append("fast"))
    slow = streams.join("key", source.open, lambda: overflowed.append("slow"))
    first = asyncio.ensure_future(anext(fast))
    await settle()
    source.queue.put_nowait("a")
    assert await first == "a"
    started_slow = asyncio.ensure_future(anext(slow))  # joins now: "a" is behind it
    await settle()
    assert source.started == 1 and streams.subscribers == 2 and len(streams) == 1

    for item in "bcdef":
        source.queue.put_nowait(item)
        assert await anext(fast) == item  # the slow member never asks for more than one
    assert await started_slow == "b"
    assert overflowed == ["slow"]
    with contextlib.suppress(StopAsyncIteration):
        raise AssertionError(f"the dropped member got {await anext(slow)!r}")
    assert streams.subscribers == 1

    await fast.aclose()  # the last member leaves: the source is closed
    await settle()
    assert source.closed and len(streams) == 0
    assert gc.isenabled()  # every result taken or dropped let the collector go again


async def test_the_members_complete_when_the_source_ends_and_a_new_member_starts_it_again() -> None:
    streams = SharedStreams(GCPause(1.0))
    source = Source()
    members = [streams.join("key", source.open, lambda: None) for _ in range(2)]
    pending = [asyncio.ensure_future(anext(member)) for member in members]
    await settle()
    source.queue.put_nowait("only")
    source.queue.put_nowait(None)
    assert [await p for p in pending] == ["only", "only"]
    for member in members:
        with contextlib.suppress(StopAsyncIteration):
            raise AssertionError(f"got {await anext(member)!r} after the end")
    assert len(streams) == 0

    again = streams.join("key", source.open, lambda: None)
    waiting = asyncio.ensure_future(anext(again))
    await settle()
    assert source.started == 2
    source.queue.put_nowait("new")
    assert await waiting == "new"
    await again.aclose()
