"""GraphQL over WebSocket (graphql-transport-ws and the legacy graphql-ws): who is connecting,
from which origin, and how connections end when the server shuts down."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from typing import Any

from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.http.websocket_origin import normalize_origin
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from graphql_api.auth import BadToken, Viewer, resolve_viewer
from graphql_api.context import Context
from graphql_api.gateway.viewer_cache import ViewerCache
from graphql_api.live import Live
from graphql_api.settings import Settings
from graphql_api.shared_streams import TOO_SLOW, stream_key

SHUTTING_DOWN = (1000, "server shutting down")
RESTARTING = (1012, "server restarting: connect again")


def allowed_origins(settings: Settings) -> list[str]:
    """Pages that may open a WebSocket besides the server's own host: the public URL's origin
    and the CORS allowlist."""
    origins = [normalize_origin(settings.public_url), *settings.cors_origins]
    return [origin for origin in origins if origin]


async def authenticate(
    params: Mapping[str, Any] | None, secret_key: str, cache: ViewerCache | None = None
) -> Viewer:
    """The viewer named by the `connection_init` payload {"Authorization": "Bearer …"};
    no token is the anonymous viewer, a bad one refuses the connection."""
    params = params or {}
    header = params.get("Authorization", params.get("authorization"))
    if header is not None and not isinstance(header, str):
        raise ConnectionRejectionError({"message": "Authorization must be a string"})
    try:
        return await resolve_viewer(header, secret_key, cache)
    except BadToken as error:
        raise ConnectionRejectionError(
            {"message": str(error), "reason": error.reason.value}
        ) from None


def _live(context: Context) -> Live:
    assert context.live is not None, "the view puts Live in every WebSocket context"
    return context.live


async def _close(handler: Any, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):  # the client may be gone already
        await handler.websocket.close(code=code, reason=reason)


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    """Both protocols speak in text frames; the view's orjson encoder gives bytes, which the
    stock adapter would send as binary frames that browser and npm clients reject."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        await self.send_encoded(self.view.encode_json_string(message))

    async def send_encoded(self, text: str) -> None:
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class SharingSchema:
    """The schema as a WebSocket handler runs it: a subscription that other subscribers on this
    process share (same document, variables and viewer) joins their stream (`shared_streams`)."""

    def __init__(self, schema: Any, handler: Any) -> None:
        self._schema = schema
        self._handler = handler

    async def stream(self, query: str | None, **arguments: Any) -> Any:
        return await self._open("stream", query, arguments)

    async def subscribe(self, query: str | None, **arguments: Any) -> Any:
        return await self._open("subscribe", query, arguments)

    async def _open(self, kind: str, query: str | None, arguments: dict[str, Any]) -> Any:
        run = getattr(self._schema, kind)
        context = arguments.get("context_value")
        shared = set(arguments) <= {"variable_values", "context_value", "root_value",
                                    "operation_name", "allowed_operation_types"}  # fmt: skip
        key = shared and stream_key(
            query, arguments.get("operation_name"), arguments.get("variable_values"), context, kind
        )
        if not key:
            return await run(query, **arguments)
        handler = self._handler
        return _live(handler.context).streams.join(
            key,
            lambda: run(query, **arguments),
            lambda: asyncio.ensure_future(_close(handler, *TOO_SLOW)),
        )


async def _send_shared(handler: Any, message: Any, kind: str) -> bool:
    """Send a `next` (or legacy `data`) message whose payload may be shared with other
    subscribers: encoded once for all, only the operation id differs between their frames.
    False if `message` is another kind of message, to be sent as usual."""
    if message.get("type") != kind or not isinstance(handler.websocket, TextWebSocketAdapter):
        return False
    payload = _live(handler.context).frame(message["payload"], handler.view.encode_json_string)
    frame = f'{{"id":{json.dumps(message["id"])},"type":"{kind}","payload":{payload}}}'
    await handler.websocket.send_encoded(frame)
    return True


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, registered with Live for the shutdown."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = SharingSchema(self.schema, self)  # type: ignore[assignment]

    async def handle(self) -> None:
        live = _live(self.context)
        if live.closing:
            await _close(self, *RESTARTING)
            return
        live.connections.add(self)
        try:
            await super().handle()
        finally:
            live.connections.discard(self)

    async def send_message(self, message: Any) -> None:
        if not await _send_shared(self, message, "next"):
            await super().send_message(message)

    async def finish(self) -> None:
        tasks = [operation.task for operation in self.operations.values() if operation.task]
        if tasks:
            await asyncio.wait(tasks)
        await _close(self, *SHUTTING_DOWN)


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    """The legacy graphql-ws (subscriptions-transport-ws) protocol, with the same
    initialisation timeout as graphql-transport-ws and registered with Live for the shutdown."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = SharingSchema(self.schema, self)  # type: ignore[assignment]

    async def send_message(self, message: Any) -> None:
        if not await _send_shared(self, message, "data"):
            await super().send_message(message)

    async def handle(self) -> None:
        live = _live(self.context)
        if live.closing:
            await _close(self, *RESTARTING)
            return
        live.connections.add(self)
        timeout = asyncio.create_task(self._close_unless_initialised())
        try:
            await super().handle()
        finally:
            timeout.cancel()
            live.connections.discard(self)

    async def _close_unless_initialised(self) -> None:
        await asyncio.sleep(self.view.connection_init_wait_timeout.total_seconds())
        if not self.connection_acknowledged:
            await _close(self, 4408, "Connection initialisation timeout")

    async def finish(self) -> None:
        tasks = list(self.tasks.values())
        if tasks:
            await asyncio.wait(tasks)
        await _close(self, *SHUTTING_DOWN)
