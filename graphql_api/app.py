"""The ASGI application: routes, middleware and lifespan, built explicitly."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from tortoise import connections

from graphql_api import db
from graphql_api.auth import ANONYMOUS, BadToken, resolve_viewer
from graphql_api.context import Context
from graphql_api.jobs import background_jobs
from graphql_api.pubsub import Broker, create_broker
from graphql_api.schema import schema
from graphql_api.settings import Settings
from models.services.caller import Deps

log = logging.getLogger("tradequote")

def client_ip(request: Request | WebSocket) -> str | None:
    return request.client.host if request.client else None


class GraphQLView(GraphQL[Context, None]):
    """GraphQL over HTTP and WebSocket with our typed context and orjson encoding."""

    def __init__(self, settings: Settings, broker: Broker) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=True,
        )
        self.settings = settings
        self.deps = Deps(bus=broker, secret_key=settings.secret_key, public_url=settings.public_url)

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:
        context = Context(
            settings=self.settings,
            deps=self.deps,
            viewer=ANONYMOUS,
            client_ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
            request=request,
            response=response,
        )
        if isinstance(request, Request):
            try:
                context.viewer = await resolve_viewer(
                    request.headers.get("authorization"), self.settings.secret_key
                )
            except BadToken as error:
                context.auth_error = str(error)
        return context

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def readyz(request: Request) -> Response:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception:  # any failure means not ready
        log.exception("database not reachable")
        return JSONResponse({"ready": False}, status_code=503)
    return JSONResponse({"ready": True})


def create_app(settings: Settings | None = None, *, background: bool = True) -> Starlette:
    """The application. `background=False` leaves out the sweepers (for tests that drive them)."""
    settings = settings or Settings.from_env()
    broker = create_broker(settings.database_url)
    view = GraphQLView(settings, broker)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await db.connect(settings.database_url)
        await broker.start()
        try:
            async with (
                background_jobs(settings, view.deps) if background else contextlib.nullcontext()
            ):
                gc.collect()
                gc.freeze()
                yield
        finally:
            await broker.stop()
            await db.close()

    app = Starlette(
        routes=[
            Route("/graphql", view, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", view),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type"],
            )
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.broker = broker
    app.state.deps = view.deps
    return app
