"""Revoked credentials close their WebSocket connections on every replica: the use cases publish
what changed after commit (`viewer_cache.Revocation`: tokens, staff members, quotes whose link
was rotated or revoked, organizations whose link lifetime changed), and each replica evicts them
from its cache of viewers and closes the connections opened with a credential that stopped
(graphql-transport-ws code 4401). A connection whose credential still works carries on as the
viewer it names now (a member's new role, say)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from graphql_api.auth import BadToken, Viewer, resolve_viewer
from graphql_api.gateway.viewer_cache import Revocation, ViewerCache
from graphql_api.live import Live
from graphql_api.pubsub import is_resync
from models.services.tokens import REVOKED_TOPIC

log = logging.getLogger(__name__)
CLOSE_CODE = 4401
CLOSE_REASON = "Token revoked"


async def _current_viewer(context: Any) -> Viewer | None:
    """The viewer the connection's own credentials name now (read from the database); None when
    they stopped."""
    params = getattr(context, "connection_params", None) or {}
    header = params.get("Authorization", params.get("authorization"))
    try:
        return await resolve_viewer(header, context.settings.secret_key)
    except BadToken:
        return None


async def _revoked(context: Any, revocation: Revocation) -> bool:
    viewer = getattr(context, "viewer", None)
    if viewer is None or not revocation.concerns(viewer):
        return False
    if viewer.token_id is not None and viewer.token_id in revocation.tokens:
        return True
    current = await _current_viewer(context)  # the new link of a rotated quote stays open
    if current is None:
        return True
    context.viewer = current
    return False


async def close_revoked(live: Live, revocation: Revocation) -> int:
    """Close every open connection opened with a revoked credential; how many."""
    closed = 0
    for connection in list(live.connections):
        context: Any = getattr(connection, "context", None)
        if not await _revoked(context, revocation):
            continue
        live.connections.discard(connection)
        with contextlib.suppress(Exception):  # the client may be gone already
            await connection.websocket.close(code=CLOSE_CODE, reason=CLOSE_REASON)  # type: ignore[attr-defined]
        closed += 1
    return closed


@contextlib.asynccontextmanager
async def closing_revoked_sockets(live: Live, viewers: ViewerCache) -> AsyncIterator[None]:
    """Listen for revocations while the block runs (the broker must be started): evict them from
    `viewers`, close their sockets. Events may have been missed when the broker asks for a
    resync: every cached viewer goes."""
    ready = asyncio.Event()

    async def watch() -> None:
        async with live.subscribe(REVOKED_TOPIC) as events:
            ready.set()
            async for event in events:
                if is_resync(event):
                    viewers.clear()
                    continue
                try:
                    revocation = Revocation.from_event(event)
                    viewers.evict(revocation)
                    closed = await close_revoked(live, revocation)
                except Exception:  # one bad event must not stop the watch
                    log.exception("closing revoked connections failed")
                    continue
                if closed:
                    log.info("closed %d connection(s) of revoked credentials", closed)

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
