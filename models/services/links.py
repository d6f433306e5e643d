"""Customer link tokens: an HMAC of the secret key, so the same link can be sent again
and nothing that opens a quote is stored in clear."""

from __future__ import annotations

import base64
import hashlib
import hmac

LINK_PREFIX = "tql_"


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def _mac(secret_key: str, quote_id: int, salt: str) -> str:
    digest = hmac.new(
        secret_key.encode(), f"quote-link:{quote_id}:{salt}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def link_token(secret_key: str, quote_id: int, salt: str) -> str:
    return f"{LINK_PREFIX}{_b36(quote_id)}_{_mac(secret_key, quote_id, salt)}"


def parse_link_token(token: str) -> tuple[int, str] | None:
    """(quote id, mac) of a well-formed link token, else None. Verify with `link_matches`."""
    if not token.startswith(LINK_PREFIX):
        return None
    head, _, mac = token[len(LINK_PREFIX) :].partition("_")
    if not head or not mac or len(head) > 12:
        return None
    try:
        return int(head, 36), mac
    except ValueError:
        return None


def link_matches(secret_key: str, quote_id: int, salt: str, mac: str) -> bool:
    return hmac.compare_digest(_mac(secret_key, quote_id, salt), mac)


def link_url(public_url: str, token: str) -> str:
    return f"{public_url}/q/{token}"
