"""`GET /.well-known/tradequote-keys.json`: the public keys that verify sealed chain heads, with
their key ids (JWK Set, Ed25519). Older keys stay listed so that what they sealed still verifies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from models.sealing import Keyring

PATH = "/.well-known/tradequote-keys.json"


def keys_endpoint(keys: Keyring) -> Callable[[Request], Awaitable[Response]]:
    published = keys.published()

    async def public_keys(request: Request) -> Response:
        return JSONResponse(
            published,
            headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
        )

    return public_keys
