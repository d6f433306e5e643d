"""Revoked tokens close their WebSocket connections on every replica: the use cases publish the
revoked token ids after commit, and each replica closes the connections opened with them
(graphql-transport-ws code 4401)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from graphql_api.live import Live
from models.services.tokens import REVOKED_TOPIC

log = logging.getLogger(__name__)
CLOSE_CODE = 4401
CLOSE_REASON = "Token revoked"


async def close_revoked(live: Live, token_ids: set[int]) -> int:
    """Close every open connection whose viewer came with one of `token_ids`; how many."""
    closed = 0
    for connection in list(live.connections):
        context: Any = getattr(connection, "context", None)
        viewer = getattr(context, "viewer", None)
        if viewer is None or getattr(viewer, "token_id", None) not in token_ids:
            continue
        live.connections.discard(connection)
        with contextlib.suppress(Exception):  # the client may be gone already
            await connection.websocket.close(code=CLOSE_CODE, reason=CLOSE_REASON)  # type: ignore[attr-defined]
        closed += 1
    return closed


@contextlib.asynccontextmanager
async def closing_revoked_sockets(live: Live) -> AsyncIterator[None]:
    """Listen for revocations while the block runs (the broker must be started)."""
    ready = asyncio.Event()

    async def watch() -> None:
        async with live.subscribe(REVOKED_TOPIC) as events:
            ready.set()
            async for event in events:
                ids = {int(i) for i in event.get("tokens", [])}
                closed = await close_revoked(live, ids)
                if closed:
                    log.info("closed %d connection(s) of revoked tokens", closed)

    task = asyncio.create_task(watch())
    waiter = asyncio.create_task(ready.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if task.done():
        task.result()  # a listener that failed at once is a fault worth seeing
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
