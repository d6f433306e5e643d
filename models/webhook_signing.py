"""Standard Webhooks signatures (https://www.standardwebhooks.com): the signed content is
`{webhook-id}.{webhook-timestamp}.{body}`; `webhook-signature` carries `v1,<base64 HMAC-SHA256>`
with the endpoint's secret and `v1a,<base64 Ed25519>` with the server's current sealing key
(published at /.well-known/tradequote-keys.json), separated by a space."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from models.sealing import Keyring, raw_public

SECRET_PREFIX = "whsec_"
PUBLIC_KEY_PREFIX = "whpk_"


def new_secret() -> str:
    """An endpoint secret: `whsec_` and 32 random bytes in base64, as the specification has it."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def signed_content(webhook_id: str, timestamp: int, body: str) -> bytes:
    return f"{webhook_id}.{timestamp}.{body}".encode()


def signature_header(secret: str, keys: Keyring, webhook_id: str, timestamp: int, body: str) -> str:
    content = signed_content(webhook_id, timestamp, body)
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    symmetric = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode("ascii")
    asymmetric = base64.b64encode(keys.current.sign(content)).decode("ascii")
    return f"v1,{symmetric} v1a,{asymmetric}"


def public_key(keys: Keyring) -> str:
    """The current Ed25519 public key in the specification's `whpk_` form."""
    raw = raw_public(keys.current.public_key())
    return PUBLIC_KEY_PREFIX + base64.b64encode(raw).decode("ascii")
