"""The server's Ed25519 sealing keys: the current one that seals chain heads, and older ones
kept so that what they sealed still verifies.

By default the key is derived from the secret key (HKDF-SHA256 with a label), so a server needs
no extra configuration. `TRADEQUOTE_SIGNING_KEYS` names keys explicitly: a comma-separated list
of `private:<key>` and `public:<key>` entries (32 bytes each, base64url or hex), the first one
private and current. The key derived from the secret key is always kept as an older public key,
so switching to configured keys does not orphan what it sealed."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from models import chain

DERIVATION_LABEL = b"tradequote chain seal key v1"


class KeyConfigurationError(ValueError):
    """TRADEQUOTE_SIGNING_KEYS does not describe usable keys."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """A short, stable name of a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(raw_public(key)).hexdigest()[:16]


def quote_reference(quote_id: int) -> str:
    """The quote's global ID (as the API shows it), which the seal names."""
    return base64.urlsafe_b64encode(f"Quote:{quote_id}".encode()).decode().rstrip("=")


def derived_key(secret_key: str) -> Ed25519PrivateKey:
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DERIVATION_LABEL).derive(
        secret_key.encode("utf-8")
    )
    return Ed25519PrivateKey.from_private_bytes(seed)


def generate_private_key() -> str:
    """A fresh private key as a `TRADEQUOTE_SIGNING_KEYS` entry."""
    return private_entry(Ed25519PrivateKey.generate())


def private_entry(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return f"private:{b64url(raw)}"


def public_entry(key: Ed25519PublicKey) -> str:
    return f"public:{b64url(raw_public(key))}"


def _key_bytes(text: str) -> bytes:
    text = text.strip()
    try:
        raw = bytes.fromhex(text) if len(text) == 64 else from_b64url(text)
    except (ValueError, binascii.Error) as error:
        raise KeyConfigurationError(
            "TRADEQUOTE_SIGNING_KEYS: a key is neither hex nor base64url"
        ) from error
    if len(raw) != 32:
        raise KeyConfigurationError("TRADEQUOTE_SIGNING_KEYS: an Ed25519 key is 32 bytes")
    return raw


@dataclass(frozen=True, eq=False)
class Keyring:
    """The current private key and every public key that may have sealed a stored chain."""

    current: Ed25519PrivateKey
    public: tuple[tuple[str, Ed25519PublicKey], ...]

    @property
    def current_id(self) -> str:
        return key_id(self.current.public_key())

    @classmethod
    def of(cls, current: Ed25519PrivateKey, *older: Ed25519PublicKey) -> Keyring:
        keys: dict[str, Ed25519PublicKey] = {}
        for key in (current.public_key(), *older):
            keys.setdefault(key_id(key), key)
        return cls(current, tuple(keys.items()))

    @classmethod
    def from_config(cls, secret_key: str, configured: str | None = None) -> Keyring:
        """The keys of `TRADEQUOTE_SIGNING_KEYS`, or the one derived from the secret key."""
        derived = derived_key(secret_key)
        if not configured or not configured.strip():
            return cls.of(derived)
        private: list[Ed25519PrivateKey] = []
        older: list[Ed25519PublicKey] = []
        for index, entry in enumerate(e.strip() for e in configured.split(",") if e.strip()):
            kind, _, text = entry.partition(":")
            if kind == "private":
                key = Ed25519PrivateKey.from_private_bytes(_key_bytes(text))
                if index == 0:
                    private.append(key)
                else:
                    older.append(key.public_key())
            elif kind == "public" and index > 0:
                older.append(Ed25519PublicKey.from_public_bytes(_key_bytes(text)))
            else:
                raise KeyConfigurationError(
                    "TRADEQUOTE_SIGNING_KEYS: the first entry is private:<key>, the others "
                    "private:<key> or public:<key>"
                )
        if not private:
            raise KeyConfigurationError("TRADEQUOTE_SIGNING_KEYS names no current private key")
        return cls.of(private[0], *older, derived.public_key())

    def seal(self, quote_id: int, event_count: int, head_hash: str) -> tuple[str, str]:
        """(key id, base64url Ed25519 signature) of the chain head."""
        message = chain.seal_message(quote_reference(quote_id), event_count, head_hash)
        return self.current_id, b64url(self.current.sign(message))

    def published(self) -> dict[str, Any]:
        """The public keys as a JSON Web Key Set (OKP / Ed25519), the current one first."""
        current = self.current_id
        return {
            "keys": [
                {
                    "kid": kid,
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "alg": "EdDSA",
                    "use": "sig",
                    "x": b64url(raw_public(key)),
                    "status": "current" if kid == current else "retired",
                }
                for kid, key in self.public
            ]
        }


def public_keys(published: Mapping[str, Any]) -> dict[str, Ed25519PublicKey]:
    """The key set of `Keyring.published` (or of /.well-known/tradequote-keys.json) by key id."""
    keys = {}
    for entry in published.get("keys", []):
        if entry.get("kty") == "OKP" and entry.get("crv") == "Ed25519":
            keys[str(entry["kid"])] = Ed25519PublicKey.from_public_bytes(
                from_b64url(str(entry["x"]))
            )
    return keys


def seal_verifies(
    keys: Mapping[str, Ed25519PublicKey], key: str, signature: str, message: bytes
) -> bool:
    public = keys.get(key)
    if public is None:
        return False
    try:
        public.verify(from_b64url(signature), message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
