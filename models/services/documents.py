"""Persisted documents: automatic persisted queries registered by clients, and trusted
documents imported from a client's manifest (Apollo's persisted-query manifest or Relay's
`{id: text}` map). Documents are content-addressed by the SHA-256 of their text."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.partners import DocumentKind, PersistedDocument

"APQ rows carry this client name, so that (sha256, kind, client) stays unique."
APQ_CLIENT = ""
USE_RECORDED_EVERY = timedelta(hours=1)


class ManifestError(ValueError):
    """The manifest file cannot be read as either format."""


@dataclass(frozen=True)
class Found:
    """A stored document: its text, and whether it is trusted."""

    body: str
    trusted: bool


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_manifest(raw: str) -> list[tuple[str, str]]:
    """(manifest id, text) pairs of an Apollo manifest (`{"format": "apollo-persisted-query-
    manifest", "operations": [{"id", "body", …}]}`) or of a Relay map (`{id: text}`)."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ManifestError(f"not JSON: {error}") from error
    if not isinstance(data, dict):
        raise ManifestError("a manifest is a JSON object")
    if data.get("format") == "apollo-persisted-query-manifest":
        operations = data.get("operations")
        if not isinstance(operations, list):
            raise ManifestError("an Apollo manifest has an `operations` list")
        pairs = []
        for index, operation in enumerate(operations):
            if not isinstance(operation, dict) or not isinstance(operation.get("body"), str):
                raise ManifestError(f"operations[{index}] has no `body` text")
            body = operation["body"]
            pairs.append((str(operation.get("id") or sha256_hex(body)), body))
        return pairs
    pairs = []
    for key, text in data.items():
        if not isinstance(text, str):
            raise ManifestError(f"{key!r}: a Relay map gives each id the document's text")
        pairs.append((str(key), text))
    return pairs


async def find(sha256: str, *, trusted_only: bool) -> Found | None:
    """The document with this hash: a trusted one first, else (unless `trusted_only`) an APQ."""
    kinds = [DocumentKind.TRUSTED] if trusted_only else [DocumentKind.TRUSTED, DocumentKind.APQ]
    rows = await PersistedDocument.filter(sha256=sha256, kind__in=kinds).values("body", "kind")
    if not rows:
        return None
    trusted = any(row["kind"] == DocumentKind.TRUSTED for row in rows)
    return Found(body=str(rows[0]["body"]), trusted=trusted)


async def find_by_manifest_id(manifest_id: str) -> Found | None:
    """A trusted document by the id its manifest gave it (Relay ids need not be hashes)."""
    row = await PersistedDocument.filter(
        manifest_id=manifest_id, kind=DocumentKind.TRUSTED
    ).values("body")
    return Found(body=str(row[0]["body"]), trusted=True) if row else None


async def touch(sha256: str, now: datetime) -> None:
    """Note the use of an APQ entry (at most once an hour), which keeps it from eviction."""
    await PersistedDocument.filter(
        Q(used_at__lt=now - USE_RECORDED_EVERY), sha256=sha256, kind=DocumentKind.APQ
    ).update(used_at=now)


async def register_apq(sha256: str, body: str, now: datetime, max_entries: int) -> None:
    """Store an automatic persisted query (the caller checked its hash), evicting the least
    recently used entries beyond `max_entries`. Two replicas registering at once is fine."""
    try:
        await PersistedDocument.create(
            sha256=sha256, kind=DocumentKind.APQ, client=APQ_CLIENT, body=body,
            created_at=now, used_at=now,
        )  # fmt: skip
    except IntegrityError:
        return
    excess = await PersistedDocument.filter(kind=DocumentKind.APQ).count() - max_entries
    if excess > 0:
        oldest = await PersistedDocument.filter(kind=DocumentKind.APQ).order_by(
            "used_at", "id"
        ).limit(excess).values_list("id", flat=True)
        await PersistedDocument.filter(id__in=list(oldest)).delete()


async def import_trusted(client: str, pairs: list[tuple[str, str]], now: datetime) -> list[str]:
    """Add a client's documents (already validated) in one transaction; the hashes added
    (documents the client had already are left as they are)."""
    added = []
    async with in_transaction():
        for manifest_id, body in pairs:
            digest = sha256_hex(body)
            if await PersistedDocument.filter(
                sha256=digest, kind=DocumentKind.TRUSTED, client=client
            ).exists():
                continue
            await PersistedDocument.create(
                sha256=digest, kind=DocumentKind.TRUSTED, client=client, body=body,
                manifest_id=None if manifest_id in (digest, f"sha256:{digest}") else manifest_id,
                created_at=now, used_at=now,
            )  # fmt: skip
            added.append(digest)
    return added


async def trusted_documents(client: str | None = None) -> list[PersistedDocument]:
    query = PersistedDocument.filter(kind=DocumentKind.TRUSTED)
    if client is not None:
        query = query.filter(client=client)
    return await query.order_by("client", "id")


async def remove_trusted(client: str, sha256: str | None = None) -> int:
    """Remove one trusted document of a client (by hash), or all of them: how many went."""
    query = PersistedDocument.filter(kind=DocumentKind.TRUSTED, client=client)
    if sha256 is not None:
        query = query.filter(sha256=sha256.removeprefix("sha256:"))
    return await query.delete()
