"""Database faults in the GraphQL endpoint: a coded error, or one more try, never HTTP 500.

`DatabaseFaults` (a schema extension) turns any error caused by a lost connection into
`extensions.code` `SERVICE_UNAVAILABLE` and notes the fault in the request's ledger.
`RetryOnFault` (ASGI middleware) runs a `/graphql` request once more when its ledger shows a
fault before any commit began (a read, or a write that rolled back), and answers 503 with the
same code if a fault still escapes the GraphQL layer (e.g. while reading the token) or any other
route before its answer began.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import orjson
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from models.services.faults import RETRY_PAUSE, is_connection_fault, note_fault, open_ledger

log = logging.getLogger("tradequote.faults")

UNAVAILABLE_MESSAGE = "The database is briefly unavailable; nothing was changed. Try again."
IN_DOUBT_MESSAGE = (
    "The database connection was lost while saving; retry with the same idempotencyKey."
)


def unavailable(message: str = UNAVAILABLE_MESSAGE) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "SERVICE_UNAVAILABLE"})


class DatabaseFaults(SchemaExtension):
    """Connection faults become SERVICE_UNAVAILABLE errors (also one met while reading the
    request's token, noted in the context as `service_error`)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.result is None and getattr(context.context, "service_error", None):
            context.result = GraphQLExecutionResult(data=None, errors=[unavailable()])
        yield
        result = context.result
        errors = getattr(result, "errors", None)
        if not errors:
            return
        coded: list[GraphQLError] = []
        for error in errors:
            if is_connection_fault(error.original_error):
                note_fault()
                log.warning("database connection lost at %s: %r", error.path, error.original_error)
                coded.append(
                    GraphQLError(
                        UNAVAILABLE_MESSAGE,
                        nodes=error.nodes,
                        path=error.path,
                        extensions={"code": "SERVICE_UNAVAILABLE"},
                    )
                )
            else:
                coded.append(error)
        result.errors = coded  # type: ignore[union-attr]


def _unavailable_response() -> list[Message]:
    body = orjson.dumps(
        {
            "data": None,
            "errors": [
                {"message": UNAVAILABLE_MESSAGE, "extensions": {"code": "SERVICE_UNAVAILABLE"}}
            ],
        }
    )
    return [
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"1"),
            ],
        },
        {"type": "http.response.body", "body": body, "more_body": False},
    ]


class RetryOnFault:
    """Pure ASGI middleware: buffers each `/graphql` request (and its answer) so that a request
    that met a database fault before committing anything can run once more."""

    def __init__(self, app: ASGIApp, path: str = "/graphql") -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] != self.path or _streams(scope):
            await _unbuffered(self.app, scope, receive, send)
            return
        body = await _read_body(receive)
        for attempt in (1, 2):
            ledger = open_ledger()
            messages: list[Message] = []
            try:
                await self.app(scope, _replay(body), _collect(messages))
            except Exception as error:
                if not is_connection_fault(error):
                    raise
                log.warning("database connection lost before the answer: %r", error)
                ledger.fault = True
                messages = _unavailable_response()
            if attempt == 1 and ledger.retryable:
                log.warning("running the request again after a database fault before any commit")
                await asyncio.sleep(RETRY_PAUSE)
                continue
            break
        for message in messages:
            await send(message)


async def _unbuffered(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Other routes (the customer page, downloads, logos) are not run twice, but a fault that
    escapes them before their answer began is a 503, not a 500."""
    started = False

    async def watched(message: Message) -> None:
        nonlocal started
        started = started or message["type"] == "http.response.start"
        await send(message)

    try:
        await app(scope, receive, watched)
    except Exception as error:
        if started or not is_connection_fault(error):
            raise
        route = "/" + scope["path"].lstrip("/").split("/", 1)[0]  # never the token in the path
        log.warning("database connection lost at %s/…: %r", route, error)
        for message in _unavailable_response():
            await send(message)


# Bodies larger than this are passed through unbuffered (and so never run twice); the request
# size limit, where configured, sits in front of this middleware.
MAX_BUFFERED = 2 * 1024 * 1024


def _streams(scope: Scope) -> bool:
    """Multipart (incremental) answers are streamed, and large bodies not held: no retry."""
    for name, value in scope.get("headers", []):
        if name == b"accept" and b"multipart/mixed" in value:
            return True
        if name == b"content-length" and (not value.isdigit() or int(value) > MAX_BUFFERED):
            return True
    return False


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client stays connected until the answer
        return {"type": "http.disconnect"}

    return receive


def _collect(messages: list[Any]) -> Send:
    async def send(message: Message) -> None:
        messages.append(message)

    return send
