"""How many GraphQL requests one process works on at once; the others wait their turn, first come
first served.

A process has one core's worth of Python. Past a few requests in progress, more of them only
interleave: each waits for the others at every statement it sends, and which one's statements
the pool serves next is close to chance, so the last of them finish two or three times later
than the median (the thread view at 32 clients on PostgreSQL: p99 2.4× p50). Admitted a few at a
time, requests finish in about the order they came (p99 1.1–1.2× p50) and the process spends
less on switching between them (benchmarks/floor.py).

WebSocket subscriptions are not counted: they live for hours and use the process between events
only."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

DEFAULT_LIMIT = 8


class Admission:
    """At most `limit` holders at once (0: no limit), the waiting admitted in arrival order."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self._turns = asyncio.Semaphore(limit) if limit else None
        self.in_progress = 0
        self.waiting = 0
        "The most ever in progress at once."
        self.peak = 0

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        self.waiting += 1
        try:
            if self._turns is not None:
                await self._turns.acquire()
        finally:
            self.waiting -= 1
        self.in_progress += 1
        self.peak = max(self.peak, self.in_progress)
        try:
            yield
        finally:
            self.in_progress -= 1
            if self._turns is not None:
                self._turns.release()
