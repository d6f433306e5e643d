"""Graceful shutdown of live connections.

On SIGTERM (or Ctrl+C) uvicorn 0.54 stops listening and at once fails every open WebSocket with
close code 1012, dropping subscriptions without a `complete`; only then does the application's
lifespan hear of the shutdown, too late to say goodbye. So while the app runs, its own handler
sits in front of the server's: it first drains the live connections (subscriptions complete,
sockets close normally), then passes the signal on. A second signal passes through at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Awaitable, Callable, Iterator
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextlib.contextmanager
def drain_before_exit(drain: Callable[[], Awaitable[None]]) -> Iterator[None]:
    """While inside, SIGTERM/SIGINT run `drain()` before the previous handler sees the signal.

    Does nothing outside the main thread (signal handlers live there), e.g. in test clients
    that run the app's lifespan in a thread of their own."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {sig: signal.getsignal(sig) for sig in SIGNALS}
    tasks: list[asyncio.Task[None]] = []  # keeps the draining task referenced
    signalled = False

    def forward(sig: int, frame: FrameType | None) -> None:
        handler = previous[sig]
        if callable(handler):
            handler(sig, frame)
        else:  # the default action (or none): as if we had never been here
            signal.signal(sig, handler)
            signal.raise_signal(sig)

    async def drain_then_forward(sig: int) -> None:
        try:
            await drain()
        except Exception:
            log.exception("draining live connections failed")
        finally:
            forward(sig, None)

    def start(sig: int) -> None:
        tasks.append(loop.create_task(drain_then_forward(sig)))

    def on_signal(sig: int, frame: FrameType | None) -> None:
        nonlocal signalled
        if signalled:
            forward(sig, frame)
            return
        signalled = True
        log.info("signal %s: completing subscriptions before shutting down", sig)
        loop.call_soon_threadsafe(start, sig)

    for sig in SIGNALS:
        signal.signal(sig, on_signal)
    try:
        yield
    finally:
        for sig in SIGNALS:
            if signal.getsignal(sig) is on_signal:
                signal.signal(sig, previous[sig])
