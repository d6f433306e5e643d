"""The customer's pages: `/q/{token}` (a quote's link), `/t/{slug}` (the public trade-in page)
and `/portal/{slug}` (sign in by email code, then the customer's quotes).

Each route answers the same small HTML shell; everything else is plain ES modules and CSS in
`customer/` beside this module, served from `/customer/`, that talk to the public GraphQL API
alone (HTTP for queries and mutations, graphql-transport-ws for live updates). No build step and
no inline script: the page reads its token or slug from its own URL path, and a strict
Content-Security-Policy keeps every script, style, fetch and WebSocket to this origin.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount

from graphql_api.auth import BadToken, TokenReason, resolve_viewer
from graphql_api.gateway.viewer_cache import ViewerCache
from graphql_api.web.graphiql import PAGE_HEADERS as GRAPHIQL_HEADERS
from graphql_api.web.graphiql import Assets, content_security_policy
from models.organization import Organization
from models.quote import Quote
from models.services.caller import Deps
from models.services.engagement import record_view

HERE = Path(__file__).parent
ASSETS = HERE / "customer"
ASSET_PATH = "/customer"

# Styles from this origin alone (the accent colour is set through the CSSOM, which CSP allows);
# the camera's picture for the IMEI scanner is a blob.
CONTENT_SECURITY_POLICY = content_security_policy("'self'", "media-src 'self' blob:")
PAGE_HEADERS = {
    **GRAPHIQL_HEADERS,
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "private, no-store",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
}
NOT_VALID = "Ask the merchant to send it again."


@cache
def shell() -> str:
    return (HERE / "customer.html").read_text()


def page(title: str, status_code: int = 200) -> HTMLResponse:
    """The shell that loads the customer's app (`title` until the app names the page)."""
    return HTMLResponse(
        shell().replace("__TITLE__", escape(title)), status_code=status_code,
        headers=PAGE_HEADERS,
    )


def refusal(title: str, text: str, status_code: int = 200) -> HTMLResponse:
    """A plain page with no script, for a link that does not open anything."""
    body = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><link rel='stylesheet' href='{ASSET_PATH}/customer.css'>"
        f"</head><body><main id='main' class='page'><h1>{escape(title)}</h1>"
        f"<p class='notice'>{escape(text)}</p></main></body></html>"
    )
    return HTMLResponse(body, status_code=status_code, headers=PAGE_HEADERS)


def quote_page(
    deps: Deps, viewers: ViewerCache | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """`/q/{token}`: a link that does not open its quote says why, without the app."""

    async def endpoint(request: Request) -> Response:
        token = request.path_params["token"]
        reason = NOT_VALID
        try:
            viewer = await resolve_viewer(f"Bearer {token}", deps.secret_key, viewers, deps.clock)
        except BadToken as error:
            viewer = None
            if error.reason in (TokenReason.LINK_REVOKED, TokenReason.LINK_EXPIRED):
                reason = str(error)
        if viewer is None or viewer.quote_id is None:
            return refusal("This link is not valid", reason)
        organization_id = await Quote.filter(id=viewer.quote_id).values_list(
            "organization_id", flat=True
        )
        caller = viewer.caller(
            request.client.host if request.client else None, request.headers.get("user-agent")
        )
        await record_view(deps, caller, viewer.quote_id, organization_id[0])
        return page("Your quote")

    return endpoint


def organization_page(title: str) -> Callable[[Request], Awaitable[Response]]:
    """`/t/{slug}` and `/portal/{slug}`: the app, or a plain 404 for an unknown organization."""

    async def endpoint(request: Request) -> Response:
        if not await Organization.exists(slug=request.path_params["slug"][:64]):
            return refusal("Page not found", "No shop has this address.", 404)
        return page(title)

    return endpoint


def customer_assets() -> Mount:
    return Mount(ASSET_PATH, Assets(directory=ASSETS), name="customer")
