"""The evidence of a signature: the consent text shown, the sealed chain head, and the result of
checking a signature or an exported evidence document."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models.consent import CONSENT_TEXTS, consent_sha256


@strawberry.type(description="A version of the consent to electronic signature shown before accepting.")
class ConsentText:
    version: str = strawberry.field(description="Name the version in `SignatureInput.consentVersion`.")
    text: str = strawberry.field(description="The exact text, to show as it is.")
    sha256: str = strawberry.field(
        description="Hex SHA-256 of the UTF-8 text: what the signature seals."
    )

    @classmethod
    def of(cls, version: str) -> ConsentText:
        return cls(version=version, text=CONSENT_TEXTS[version], sha256=consent_sha256(version))


@strawberry.type(
    description="A quote's chain head sealed by the server's Ed25519 key: anyone can check it "
    "with the public key published at /.well-known/tradequote-keys.json."
)
class ChainSeal:
    head_hash: str = strawberry.field(description="Hex SHA-256 of the chain's last event.")
    event_count: int = strawberry.field(description="How many events the chain holds.")
    key_id: str | None = strawberry.field(description="The id of the key that sealed the head.")
    signature: str | None = strawberry.field(
        description="Base64url Ed25519 signature over `tradequote-seal/1`, the quote's ID, the "
        "event count and the head hash, one per line."
    )


@strawberry.type(description="The result of checking a signature or an evidence document.")
class SignatureVerification:
    valid: bool = strawberry.field(
        description="True when the chain recomputes, the seal verifies and the terms match."
    )
    problems: list[str] = strawberry.field(description="What does not hold, in words.")
    signed_at: datetime | None = strawberry.field(
        description="When the signature was made (null when checking a document)."
    )
    withdrawn_at: datetime | None = strawberry.field(
        description="When the customer withdrew this acceptance, if they did."
    )
    seal: ChainSeal | None = strawberry.field(description="The sealed chain head that was checked.")
