"""Stripe's webhook signature, pure: `Stripe-Signature: t=<unix time>,v1=<hex>` where v1 is
HMAC-SHA256 of "<t>.<raw body>" under the endpoint's secret, within a tolerance of the time."""

from __future__ import annotations

import hashlib
import hmac

TOLERANCE_SECONDS = 300


class SignatureRefused(Exception):
    pass


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def header(secret: str, timestamp: int, body: bytes) -> str:
    """The header Stripe would send (tests sign their own events with it)."""
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify(
    secret: str,
    signature_header: str | None,
    body: bytes,
    now: float,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Raise `SignatureRefused` unless one v1 signature matches and the time is within tolerance."""
    if not signature_header:
        raise SignatureRefused("no Stripe-Signature header")
    timestamp: int | None = None
    candidates = []
    for part in signature_header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureRefused("the Stripe-Signature header has no timestamp or no v1 signature")
    expected = sign(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise SignatureRefused("no signature matches the payload")
    if abs(now - timestamp) > tolerance:
        raise SignatureRefused("the timestamp is outside the tolerance")
