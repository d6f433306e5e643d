"""Pure ASGI middleware that refuses a request before anything reads or parses it: bodies over
the size limit (413), and anonymous GraphQL requests over their rate (429)."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphql_api.gateway.over_http import error_response, refusal_response
from graphql_api.gateway.rate_limits import RateLimited, RateLimiter


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """HTTP 413 for a body over `max_bytes`: at once when Content-Length says so, otherwise as
    soon as the streamed body passes the limit (nothing of it is parsed). Paths under an
    `exempt` prefix keep limits of their own (evidence photos are up to 10 MB)."""

    def __init__(self, app: ASGIApp, max_bytes: int, exempt: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(headers, scope, receive, send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(headers, scope, receive, send)

    async def _refuse(self, headers: Headers, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            headers, 413,
            f"The request body is larger than {self.max_bytes} bytes.",
            "REQUEST_TOO_LARGE", {"Connection": "close"}, maximumBytes=self.max_bytes,
        )  # fmt: skip
        await response(scope, receive, send)


class AnonymousRateLimit:
    """Counts every GraphQL request without a token against the `anonymous` bucket of its
    client address; HTTP 429 with Retry-After once over."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, path: str = "/graphql") -> None:
        self.app = app
        self.limiter = limiter
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == self.path
            and scope["method"] in ("GET", "POST")
        ):
            headers = Headers(scope=scope)
            if not headers.get("authorization"):
                client = scope.get("client")
                try:
                    await self.limiter.hit("anonymous", client[0] if client else None)
                except RateLimited as refused:
                    await refusal_response(headers, refused)(scope, receive, send)
                    return
        await self.app(scope, receive, send)
