"""Signed download URLs of the PDFs: `/downloads/{kind}/{id}?v=…&expires=…&sig=…`.
A bad, expired or foreign signature gets 403 and nothing else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from tortoise.exceptions import DoesNotExist

from graphql_api.pdf.sources import certificate_pdf, label_pdf, quote_pdf, receipt_pdf
from graphql_api.settings import Settings
from graphql_api.signing import verify
from models.engagement import EngagementKind
from models.errors import DomainError
from models.quote import Quote
from models.services.engagement import record_download

RENDERERS: dict[str, Callable[[int], Awaitable[bytes]]] = {
    "quote": quote_pdf,
    "receipt": receipt_pdf,
    "label": label_pdf,
    "certificate": certificate_pdf,
}
VIEWERS = ("customer", "staff")
TRACKED = {
    "quote": EngagementKind.PDF_DOWNLOAD,
    "receipt": EngagementKind.RECEIPT_DOWNLOAD,
    "certificate": EngagementKind.CERTIFICATE_DOWNLOAD,
}
"How each tracked kind's id leads to its quote."
QUOTE_OF = {"quote": "id", "receipt": "buy_order__id", "certificate": "acceptances__id"}


def forbidden() -> Response:
    return PlainTextResponse("Forbidden", status_code=403)


def download_endpoint(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    async def download(request: Request) -> Response:
        kind = request.path_params["kind"]
        raw_id = request.path_params["object_id"]
        viewer = request.query_params.get("v", "")
        expires = request.query_params.get("expires", "")
        signature = request.query_params.get("sig", "")
        if kind not in RENDERERS or viewer not in VIEWERS or not raw_id.isdigit():
            return forbidden()
        object_id = int(raw_id)
        if not verify(settings.secret_key, kind, object_id, viewer, expires, signature):
            return forbidden()
        try:
            pdf = await RENDERERS[kind](object_id)
        except DoesNotExist:
            return forbidden()
        except DomainError as error:  # e.g. a shipping label while there is no receiving address
            return PlainTextResponse(error.message, status_code=409)
        if viewer == "customer" and kind in TRACKED:
            quote = await Quote.get(**{QUOTE_OF[kind]: object_id})
            await record_download(
                settings.secret_key,
                TRACKED[kind],
                quote,
                client_ip=request.client.host if request.client else None,
                user_agent=request.headers.get("user-agent"),
            )
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="{kind}-{object_id}.pdf"',
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return download
