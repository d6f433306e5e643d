"""`/q/{token}`: the page a customer's link opens. A plain, branded summary of the quote with
its PDF; web and mobile clients use the same token with the GraphQL API for everything else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from graphql_api.auth import BadToken, TokenReason, resolve_viewer
from graphql_api.signing import signed_url
from models.organization import Organization
from models.quote import Quote, QuoteLine
from models.services.caller import Deps
from models.services.engagement import record_view
from models.validation import minor_units


def _money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return "—"
    return f"{amount.quantize(Decimal(1).scaleb(-minor_units(currency))):,} {currency}"


def _page(title: str, body: str, accent: str = "#0a7d5a") -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>body{{font-family:system-ui,sans-serif;"
        "max-width:42rem;margin:2rem auto;padding:0 1rem;color:#222}"
        f"h1{{color:{escape(accent)}}}table{{width:100%;border-collapse:collapse}}"
        "td,th{text-align:left;padding:.4rem;border-bottom:1px solid #ddd}</style></head>"
        f"<body>{body}</body></html>",
        headers={"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"},
    )


def customer_page(deps: Deps) -> Callable[[Request], Awaitable[Response]]:
    async def page(request: Request) -> Response:
        token = request.path_params["token"]
        refusal = "Ask the merchant to send it again."
        try:
            viewer = await resolve_viewer(f"Bearer {token}", deps.secret_key)
        except BadToken as error:
            viewer = None
            if error.reason in (TokenReason.LINK_REVOKED, TokenReason.LINK_EXPIRED):
                refusal = str(error)
        if viewer is None or viewer.quote_id is None:
            return _page("Link not valid", "<h1>This link is not valid</h1>"
                         f"<p>{escape(refusal)}</p>")
        quote = await Quote.get(id=viewer.quote_id)
        organization = await Organization.get(id=quote.organization_id)
        lines = await QuoteLine.filter(quote_id=quote.id).order_by("position")
        caller = viewer.caller(
            request.client.host if request.client else None, request.headers.get("user-agent")
        )
        await record_view(deps, caller, quote.id, quote.organization_id)
        currency = quote.currency_code
        rows = "".join(
            f"<tr><td>{escape(line.brand)} {escape(line.model)}</td><td>{line.quantity}</td>"
            f"<td>{_money(line.customer_price, currency)}</td>"
            f"<td>{_money(line.merchant_offer, currency)}</td><td>{line.status.value.title()}</td></tr>"
            for line in lines
        )
        pdf = (
            f"<p><a href='{escape(signed_url(deps.public_url, deps.secret_key, 'quote', quote.id, 'customer'))}'>"
            "Download the quote (PDF)</a></p>"
            if lines
            else "<p>List your devices in the app you were sent this link for.</p>"
        )
        body = (
            f"<h1>{escape(organization.name)}</h1>"
            f"<p>{escape(organization.headline or '')}</p>"
            f"<h2>Quote {escape(quote.number)} · {escape(quote.status.value.title())}</h2>"
            "<table><tr><th>Device</th><th>Qty</th><th>Your price</th><th>Our offer</th>"
            f"<th>Status</th></tr>{rows}</table>{pdf}"
            f"<p><small>{escape(organization.footer_text or '')}</small></p>"
        )
        return _page(f"Quote {quote.number}", body, organization.accent_color or "#0a7d5a")

    return page
