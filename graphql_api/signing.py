"""Signed, expiring download URLs: a browser cannot add an Authorization header to a link."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import urlencode

DOWNLOAD_TTL_SECONDS = 15 * 60


def _signature(secret_key: str, kind: str, object_id: int, viewer: str, expires: int) -> str:
    message = f"download:{kind}:{object_id}:{viewer}:{expires}".encode()
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def signed_url(
    public_url: str,
    secret_key: str,
    kind: str,
    object_id: int,
    viewer: str,
    *,
    ttl: int = DOWNLOAD_TTL_SECONDS,
    now: float | None = None,
) -> str:
    """A URL of /downloads/{kind}/{id} valid for `ttl` seconds. `viewer` says who it was made
    for ("customer" or "staff"), so that downloads are recorded against the right party."""
    expires = int((now or time.time()) + ttl)
    query = urlencode(
        {"v": viewer, "expires": expires, "sig": _signature(secret_key, kind, object_id, viewer, expires)}
    )
    return f"{public_url}/downloads/{kind}/{object_id}?{query}"


def verify(
    secret_key: str,
    kind: str,
    object_id: int,
    viewer: str,
    expires: str,
    signature: str,
    *,
    now: float | None = None,
) -> bool:
    if not expires.isdigit():
        return False
    expected = _signature(secret_key, kind, object_id, viewer, int(expires))
    return hmac.compare_digest(expected, signature) and int(expires) > (now or time.time())
