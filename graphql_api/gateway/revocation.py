"""Revoked credentials close their WebSocket connections on every replica: the use cases publish
what they revoked after commit (token ids, or quotes whose link was rotated or revoked), and each
replica closes the connections opened with them (graphql-transport-ws code 4401)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from graphql_api.auth import BadToken, ViewerKind, resolve_viewer
from graphql_api.live import Live
from models.services.tokens import REVOKED_TOPIC

log = logging.getLogger(__name__)
CLOSE_CODE = 4401
CLOSE_REASON = "Token revoked"


async def _still_valid(context: Any) -> bool:
    """Whether the connection's own credentials still open what they opened."""
    params = getattr(context, "connection_params", None) or {}
    header = params.get("Authorization", params.get("authorization"))
    try:
        await resolve_viewer(header, context.settings.secret_key)
    except BadToken:
        return False
    return True


async def _revoked(context: Any, token_ids: set[int], quote_ids: set[int]) -> bool:
    viewer = getattr(context, "viewer", None)
    if viewer is None:
        return False
    if viewer.token_id is not None and viewer.token_id in token_ids:
        return True
    if viewer.kind is ViewerKind.CUSTOMER_LINK and viewer.quote_id in quote_ids:
        return not await _still_valid(context)  # the new link of a rotated quote stays open
    return False


async def close_revoked(live: Live, token_ids: set[int], quote_ids: set[int]) -> int:
    """Close every open connection opened with a revoked credential; how many."""
    closed = 0
    for connection in list(live.connections):
        context: Any = getattr(connection, "context", None)
        if not await _revoked(context, token_ids, quote_ids):
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
                tokens = {int(i) for i in event.get("tokens", [])}
                quotes = {int(i) for i in event.get("quoteLinks", [])}
                try:
                    closed = await close_revoked(live, tokens, quotes)
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
