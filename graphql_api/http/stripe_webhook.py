"""`POST /webhooks/stripe`: Stripe's events, verified by their signature (timestamped
HMAC-SHA256 within five minutes) and handled once per event id."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from models.services.caller import Deps
from models.services.stripe_events import handle_event
from models.stripe_signature import SignatureRefused, verify

PATH = "/webhooks/stripe"
MAX_BODY = 256 * 1024
log = logging.getLogger(__name__)


def _refused(status: int, code: str, message: str) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def stripe_webhook_endpoint(
    deps: Deps, secret: str | None
) -> Callable[[Request], Awaitable[Response]]:
    async def stripe_webhook(request: Request) -> Response:
        if not secret:
            return _refused(404, "NOT_CONFIGURED", "no Stripe webhook secret is configured")
        body = await request.body()
        if len(body) > MAX_BODY:
            return _refused(413, "TOO_LARGE", "the event is too large")
        try:
            verify(secret, request.headers.get("stripe-signature"), body, deps.clock().timestamp())
        except SignatureRefused as refused:
            log.info("Stripe webhook refused: %s", refused)
            return _refused(400, "BAD_SIGNATURE", str(refused))
        try:
            event = json.loads(body)
            if not isinstance(event, dict) or not isinstance(event.get("id"), str):
                raise ValueError("no event id")
        except ValueError:
            return _refused(400, "BAD_EVENT", "the body is not a Stripe event")
        outcome = await handle_event(deps, event)
        return JSONResponse({"received": True, "outcome": outcome})

    return stripe_webhook
