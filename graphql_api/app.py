"""The ASGI application: routes, middleware and lifespan, built explicitly."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from graphql_api import db
from graphql_api.auth import ANONYMOUS, BadToken, resolve_viewer
from graphql_api.context import Context
from graphql_api.dependencies import process_deps
from graphql_api.downloads import download_endpoint
from graphql_api.gateway.admission import Admission
from graphql_api.gateway.persisted import PersistedQueries, persisted_get, refuse_partner
from graphql_api.gateway.revocation import closing_revoked_sockets
from graphql_api.gateway.viewer_cache import EvictingPublisher, ViewerCache
from graphql_api.http import keys, stripe_webhook, uploads
from graphql_api.http.health import healthz, readyz_endpoint
from graphql_api.http.metrics import metrics_endpoint
from graphql_api.http.requests import ObserveRequests
from graphql_api.http.tracing import configure_tracing
from graphql_api.gateway.faults import RetryOnFault
from graphql_api.gateway.input import refuse_unstorable_envelope
from graphql_api.gateway.middleware import AnonymousRateLimit, BodyLimit
from graphql_api.gateway.over_http import GraphQLOverHTTP
from graphql_api.gateway.rate_limits import limit_failed_auth, limit_failed_ws_auth, limiter_for
from graphql_api.jobs import background_jobs
from graphql_api.live import Live
from graphql_api.pubsub import Broker, create_broker
from graphql_api.schema import schema
from graphql_api.settings import Settings
from graphql_api.shutdown import drain_before_exit
from graphql_api.web.customer import customer_assets, organization_page, quote_page
from graphql_api.web.graphiql import graphiql_assets, graphiql_page
from graphql_api.websocket import (
    LegacyWSHandler,
    TextWebSocketAdapter,
    TransportWSHandler,
    allowed_origins,
    authenticate,
)
from models.organization import Organization
from models.services.faults import is_connection_fault, read_again_once

log = logging.getLogger("tradequote")



def client_ip(request: Request | WebSocket) -> str | None:
    return request.client.host if request.client else None


class GraphQLView(GraphQLOverHTTP, GraphQL[Context, None]):
    """GraphQL over HTTP and WebSocket with our typed context and orjson encoding."""

    websocket_adapter_class = TextWebSocketAdapter
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(self, settings: Settings, broker: Broker) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
            connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout),
            keep_alive=True,  # the legacy protocol's "ka" messages
            keep_alive_interval=15,
            allowed_origins=allowed_origins(settings),
            max_subscriptions_per_connection=settings.limits.max_subscriptions,
        )
        self.settings = settings
        self.admission = Admission(settings.concurrent_requests)
        self.viewers = ViewerCache.for_broker(
            settings.auth_cache_seconds, settings.auth_cache_size, broker
        )
        self.deps = process_deps(settings, EvictingPublisher(broker, self.viewers))
        self.live = Live(broker)
        self.persisted = PersistedQueries(settings)

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:
        context = Context(
            settings=self.settings,
            deps=self.deps,
            viewer=ANONYMOUS,
            client_ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
            request=request,
            response=response,
            live=self.live,
        )
        if isinstance(request, Request):
            header = request.headers.get("authorization")
            try:
                context.viewer = await limit_failed_auth(
                    self.settings.limits,
                    context.client_ip,
                    lambda: read_again_once(
                        lambda: resolve_viewer(
                            header, self.settings.secret_key, self.viewers, self.deps.clock
                        )
                    ),
                )
            except BadToken as error:
                context.auth_error = str(error)
                context.auth_reason = error.reason.value
            except Exception as error:
                if not is_connection_fault(error):
                    raise
                log.warning("database connection lost reading the token: %r", error)
                context.service_error = "database unavailable"
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        context.viewer = refuse_partner(
            await limit_failed_ws_auth(
                self.settings.limits,
                context.client_ip,
                lambda: authenticate(
                    context.connection_params, self.settings.secret_key, self.viewers
                ),
            )
        )
        return UNSET

    def should_render_graphql_ide(self, request: Any) -> bool:
        return super().should_render_graphql_ide(request) and not persisted_get(request)

    async def execute_single(self, **request: Any) -> Any:  # type: ignore[override]
        """Persisted queries first: a request may name its document instead of sending it."""
        return await self.persisted.execute(super().execute_single, **request)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def render_graphql_ide(self, request: Request) -> Response:
        return await graphiql_page(request)

    async def parse_http_body(self, request: Any) -> Any:
        """The request, refused with 400 if its operation name or extensions hold NUL or a lone
        surrogate (which would reach the answer's error text); variables are InputGuard's."""
        data = await super().parse_http_body(request)
        refuse_unstorable_envelope(data)
        return data


async def logo(request: Request) -> Response:
    """An organization's logo, public like its trade-in page."""
    row = await Organization.filter(slug=request.path_params["slug"][:64]).values(
        "logo", "logo_content_type"
    )
    if not row or not row[0]["logo"]:
        return PlainTextResponse("Not Found", status_code=404)
    return Response(
        row[0]["logo"],
        media_type=row[0]["logo_content_type"],
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


def create_app(settings: Settings | None = None, *, background: bool = True) -> Starlette:
    """The application. `background=False` leaves out the sweepers (for tests that drive them)."""
    settings = settings or Settings.from_env()
    configure_tracing(settings)
    broker = create_broker(settings.database_url)
    view = GraphQLView(settings, broker)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await db.connect(settings.database_url)
        await broker.start()
        try:
            async with (
                background_jobs(settings, view.deps) if background else contextlib.nullcontext(),
                closing_revoked_sockets(view.live, view.viewers),
            ):
                # What start-up built lives as long as the process: out of the collector's
                # sight, so that full collections walk only what requests and connections
                # made since (the collector keeps its default thresholds: rarer full
                # collections were longer ones, up to 0.3 s under load, a pause for every
                # request in flight; fan-outs hold it off while they deliver).
                gc.collect()
                gc.freeze()
                with drain_before_exit(view.live.drain):
                    yield
        finally:
            await broker.stop()
            await db.close()

    app = Starlette(
        routes=[
            Route("/graphql", view, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", view),
            Route("/downloads/{kind}/{object_id}", download_endpoint(settings)),
            Route("/q/{token}", quote_page(view.deps, view.viewers)),
            Route("/t/{slug}", organization_page("Trade in your device")),
            Route("/portal/{slug}", organization_page("Your quotes")),
            customer_assets(),
            Route("/organizations/{slug}/logo", logo),
            Route(keys.PATH, keys.keys_endpoint(view.deps.keys)),
            Route("/healthz", healthz),
            Route(
                stripe_webhook.PATH,
                stripe_webhook.stripe_webhook_endpoint(view.deps, settings.stripe_webhook_secret),
                methods=["POST"],
            ),
            Route(
                f"{uploads.PREFIX}{{upload_id}}", uploads.upload_endpoint(view.deps), methods=["PUT", "POST"]
            ),
            Route("/evidence/{upload_id}", uploads.evidence_endpoint(view.deps)),
            Route("/readyz", readyz_endpoint()),
            Route("/metrics", metrics_endpoint(view.live, view.admission)),
            *([graphiql_assets()] if settings.graphiql else []),
        ],
        middleware=[
            Middleware(ObserveRequests),
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type"],
            ),
            Middleware(
                BodyLimit, max_bytes=settings.limits.max_body_bytes, exempt=(uploads.PREFIX,)
            ),
            Middleware(AnonymousRateLimit, limiter=limiter_for(settings.limits)),
            Middleware(RetryOnFault),  # innermost: re-runs only what passed the limits
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.broker = broker
    app.state.deps = view.deps
    app.state.live = view.live
    app.state.viewers = view.viewers
    app.state.admission = view.admission
    return app
