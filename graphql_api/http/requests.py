"""Every HTTP request and WebSocket connection: a request id (the client's `X-Request-ID` when
sensible, else a new one, echoed in the response), its metrics, and one access log line."""

from __future__ import annotations

import logging
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphql_api.http.metrics import HTTP_DURATION, HTTP_REQUESTS
from graphql_api.http.scope import REQUEST_ID_HEADER, RequestScope, current, request_id_from

log = logging.getLogger("tradequote.access")

# Probes and scrapes come every few seconds: their lines are DEBUG.
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


def _route(scope: Scope) -> str:
    """The matched route's template (`/q/{token}`): a raw path may hold a token."""
    route = scope.get("route")
    return str(getattr(route, "path", None) or "unmatched")


class ObserveRequests:
    """Pure ASGI middleware (it streams: nothing is buffered)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request = RequestScope(
            request_id_from(Headers(scope=scope).get(REQUEST_ID_HEADER)),
            websocket=scope["type"] == "websocket",
        )
        token = current.set(request)
        started = time.perf_counter()
        status = 500 if scope["type"] == "http" else 403

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request.request_id
            elif message["type"] == "websocket.accept":
                status = 101
                headers = list(message.get("headers") or [])
                headers.append((REQUEST_ID_HEADER.encode(), request.request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route(scope)
            method = scope.get("method", "WS")
            if scope["type"] == "http":
                HTTP_REQUESTS.labels(method, route, str(status)).inc()
                HTTP_DURATION.labels(method, route).observe(elapsed)
            log.log(
                logging.DEBUG if route in QUIET_ROUTES else logging.INFO,
                "%s %s %s %.1f ms",
                method,
                route,
                status,
                elapsed * 1000,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                    "operation_type": request.operation_type,
                    "outcome": request.outcome,
                    "errors": sorted(request.error_codes) or None,
                },
            )
            current.reset(token)
