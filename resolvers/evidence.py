"""Signature evidence: the consent text, a quote's evidence export, and verification anyone
can run."""

from __future__ import annotations

from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from graphql_api.context import Info
from graphql_api.errors import bad_user_input
from graphql_api.ids import decode_id
from graphql_api.permissions import staff_caller
from graphql_api.types.evidence import ChainSeal, ConsentText, SignatureVerification
from models.consent import CONSENT_TEXTS, CURRENT_CONSENT_VERSION
from models.services import verification


@strawberry.type
class EvidenceQueries:
    @strawberry.field(
        description="Public: the consent text shown before accepting, the current version unless "
        "another is named; null for an unknown version."
    )
    def consent_text(self, version: str | None = None) -> ConsentText | None:
        version = version or CURRENT_CONSENT_VERSION
        return ConsentText.of(version) if version in CONSENT_TEXTS else None

    @strawberry.field(
        description="Staff: the quote's whole evidence as JSON (chain, seal, personal values with "
        "their salts, consent texts, lines), to keep or to check offline.",
    )
    async def quote_evidence(self, info: Info, quote_id: strawberry.ID) -> JSON | None:
        caller = staff_caller(info)
        pk = decode_id(quote_id, "Quote")
        if pk is None:
            return None
        return cast(JSON, await verification.export_evidence(caller, pk))

    @strawberry.field(
        description="Public: check the records behind a signature hash (from an acceptance "
        "email, a receipt or a certificate); null for an unknown hash."
    )
    async def verify_signature(
        self, info: Info, signature_hash: str
    ) -> SignatureVerification | None:
        check = await verification.verify_signature(signature_hash, info.context.deps.keys)
        if check is None:
            return None
        return SignatureVerification(
            valid=not check.problems,
            problems=check.problems,
            signed_at=check.signed_at,
            withdrawn_at=check.withdrawn_at,
            seal=ChainSeal(
                head_hash=check.head_hash,
                event_count=check.event_count,
                key_id=check.key_id,
                signature=check.seal_signature,
            ),
        )

    @strawberry.field(
        description="Public: check an evidence document (as `quoteEvidence` exports it) with the "
        "server's public keys."
    )
    def verify_evidence(self, info: Info, evidence: JSON) -> SignatureVerification:
        if not isinstance(evidence, dict):
            raise bad_user_input("evidence must be a JSON object")
        document: dict[str, Any] = evidence
        problems = verification.verify_evidence(document, info.context.deps.keys)
        seal = document.get("seal")
        return SignatureVerification(
            valid=not problems,
            problems=problems,
            signed_at=None,
            withdrawn_at=None,
            seal=_seal_of(seal) if isinstance(seal, dict) else None,
        )


def _seal_of(seal: dict[str, Any]) -> ChainSeal:
    """The seal as the document states it (checked or not, it is what was examined)."""
    count = seal.get("eventCount")
    key_id, signature = seal.get("keyId"), seal.get("signature")
    return ChainSeal(
        head_hash=str(seal.get("headHash")),
        event_count=count if isinstance(count, int) else 0,
        key_id=key_id if isinstance(key_id, str) else None,
        signature=signature if isinstance(signature, str) else None,
    )
