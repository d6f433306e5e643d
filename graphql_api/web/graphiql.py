"""GraphiQL at GET /graphql for browsers, served entirely by this server.

React, ReactDOM and GraphiQL's browser build ship in `graphiql/` beside this module (see
`graphiql/SOURCES.txt` for where they come from and how to refresh them), so the explorer works
with no network but the server's own. The page runs no inline script: its settings travel as a
JSON data block, which `start.js` reads, and a strict Content-Security-Policy keeps every
script, style, fetch and WebSocket to this origin.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from graphql_api.web.tabs import LINK_PLACEHOLDER, STAFF_PLACEHOLDER, authorization, load_tabs

HERE = Path(__file__).parent
ASSETS = HERE / "graphiql"
ASSET_PATH = "/graphiql"

# Scripts come from this origin alone (no inline script, no eval), and 'self' in connect-src
# covers the same-origin WebSocket (CSP Level 3). Styles: React applies them through the CSSOM
# (allowed), but GraphiQL's dialogs inject a <style> element that locks page scrolling, whose
# text holds the browser's scrollbar width, so no fixed hash fits it: 'unsafe-inline' for
# styles only.


def content_security_policy(styles: str, *extra: str) -> str:
    """Everything from this origin alone, no inline script, no framing; `styles` the style-src."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            f"style-src {styles}",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
            *extra,
        ]
    )


CONTENT_SECURITY_POLICY = content_security_policy("'self' 'unsafe-inline'")
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

TOKENS_HELP = (
    "Paste a staff token (tqs_…) and a customer's link token (tql_…, the last part of the quote's "
    "link). They stay in this browser tab and replace the placeholders in every tab's headers "
    "when an operation is sent, WebSocket subscriptions included."
)


@cache
def page() -> bytes:
    config = {
        "tabs": load_tabs(),
        "defaultHeaders": authorization(STAFF_PLACEHOLDER),
        "tokensHelp": TOKENS_HELP,
        "placeholders": [
            {"key": "staff", "label": "Staff token", "text": STAFF_PLACEHOLDER, "example": "tqs_…"},
            {"key": "link", "label": "Link token", "text": LINK_PLACEHOLDER, "example": "tql_…"},
        ],
    }
    # Inside <script>, "</" would end the block: JSON allows escaping every "<".
    data = json.dumps(config, ensure_ascii=False).replace("<", "\\u003c")
    return (HERE / "graphiql.html").read_text().replace("__CONFIG__", data).encode()


async def graphiql_page(request: Request) -> Response:
    return HTMLResponse(page(), headers=PAGE_HEADERS)


class Assets(StaticFiles):
    """GraphiQL's files, with ETags (conditional requests answer 304) and no MIME sniffing."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response


def graphiql_assets() -> Mount:
    return Mount(ASSET_PATH, Assets(directory=ASSETS), name="graphiql")
