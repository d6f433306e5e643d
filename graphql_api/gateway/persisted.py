"""Persisted queries: Apollo's automatic persisted queries (APQ) and trusted documents named by
`documentId`, resolved before the request reaches the schema.

Strawberry's view refuses a request without a `query` before any schema extension runs, so the
view hands each request to `PersistedQueries.resolve` first (see `GraphQLView.execute_single`):

- `extensions.persistedQuery {version: 1, sha256Hash}` without a query: the stored text runs,
  or the error `PersistedQueryNotFound` (code PERSISTED_QUERY_NOT_FOUND), on which Apollo's link
  sends the query again with its hash; that text is checked against the hash and stored in the
  database, where every replica finds it (bounded, least recently used evicted first).
- `documentId: "sha256:<hex>"` (or a trusted document's manifest id): the trusted document.
- A PARTNER key runs trusted documents only: anything else is PERSISTED_QUERY_REQUIRED.

Documents are content-addressed, so each replica keeps the ones it used in memory for a minute
(`documents remove` takes effect within that minute)."""

from __future__ import annotations

import json
import re
import time
from collections import OrderedDict
from dataclasses import replace
from datetime import UTC, datetime
from collections.abc import Awaitable, Callable
from typing import Any

from graphql import GraphQLError
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from graphql_api.auth import Viewer, ViewerKind
from graphql_api.settings import Settings
from models.services import documents
from models.services.documents import Found

NOT_FOUND_MESSAGE = "PersistedQueryNotFound"  # Apollo's link retries on exactly this message
HASH = re.compile(r"^[0-9a-f]{64}$")
CACHE_SIZE = 2048
CACHE_SECONDS = 60.0


class PersistedQueryError(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def result(self) -> ExecutionResult:
        return ExecutionResult(
            data=None, errors=[GraphQLError(self.message, extensions={"code": self.code})]
        )


class PersistedQueries:
    """Resolves the persisted document a request names (one per server process)."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.persisted_queries
        self.max_entries = settings.apq_max_entries
        self._cache: OrderedDict[str, tuple[float, Found]] = OrderedDict()

    async def execute(
        self, run: Callable[..., Awaitable[ExecutionResult]], **request: Any
    ) -> ExecutionResult:
        """Run the view's `execute_single` on the request with its document resolved. A
        hash-only GET by an anonymous viewer that succeeded may be cached for a minute."""
        data: GraphQLRequestData = request["request_data"]
        adapter = request["request_adapter"]
        context = request["context"]
        document_id = None
        if data.query is None:
            body = None if adapter.method == "GET" else await adapter.get_body()
            document_id = await document_id_of(adapter.method, adapter.query_params, body)
        try:
            resolved = await self.resolve(data, document_id, context.viewer)
        except PersistedQueryError as error:
            return error.result()
        result = await run(**{**request, "request_data": resolved})
        if (
            data.query is None
            and adapter.method == "GET"
            and context.viewer.kind is ViewerKind.ANONYMOUS
            and context.auth_error is None
            and not result.errors
        ):
            request["sub_response"].headers["Cache-Control"] = "public, max-age=60"
        return result

    async def resolve(
        self, data: GraphQLRequestData, document_id: str | None, viewer: Viewer
    ) -> GraphQLRequestData:
        """The request with the text of the document it names; PersistedQueryError else."""
        partner = viewer.kind is ViewerKind.PARTNER
        persisted = (data.extensions or {}).get("persistedQuery")
        if persisted is None and document_id is None:
            if partner:
                await self._trusted_text(data.query)
            return data
        if not self.enabled:
            raise PersistedQueryError("PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED")
        if document_id is not None:
            return replace(data, query=await self._by_document_id(document_id, partner))
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise PersistedQueryError(
                "persistedQuery must be {version: 1, sha256Hash}", "PERSISTED_QUERY_INVALID"
            )
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not HASH.match(digest):
            raise PersistedQueryError(
                "sha256Hash must be 64 lower-case hex digits", "PERSISTED_QUERY_INVALID"
            )
        if data.query is not None:
            if documents.sha256_hex(data.query) != digest:
                raise PersistedQueryError(
                    "provided sha256Hash does not match the query", "PERSISTED_QUERY_HASH_MISMATCH"
                )
            if partner:
                await self._trusted_text(data.query)
            elif await self._lookup(digest, trusted_only=False) is None:
                await documents.register_apq(digest, data.query, _now(), self.max_entries)
            return data
        found = await self._lookup(digest, trusted_only=partner)
        if found is None:
            raise PersistedQueryError(NOT_FOUND_MESSAGE, "PERSISTED_QUERY_NOT_FOUND")
        return replace(data, query=found.body)

    async def _trusted_text(self, query: str | None) -> None:
        digest = documents.sha256_hex(query) if query is not None else None
        if digest is None or await self._lookup(digest, trusted_only=True) is None:
            raise PersistedQueryError(
                "API keys run trusted documents only: send a documentId", "PERSISTED_QUERY_REQUIRED"
            )

    async def _by_document_id(self, document_id: str, partner: bool) -> str:
        digest = document_id.removeprefix("sha256:")
        found = None
        if HASH.match(digest):
            found = await self._lookup(digest, trusted_only=partner)
        if found is None:
            found = await documents.find_by_manifest_id(document_id[:200])
        if found is None:
            raise PersistedQueryError(NOT_FOUND_MESSAGE, "PERSISTED_QUERY_NOT_FOUND")
        return found.body

    async def _lookup(self, digest: str, *, trusted_only: bool) -> Found | None:
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            self._cache.move_to_end(digest)
            found: Found | None = cached[1]
        else:
            found = await documents.find(digest, trusted_only=False)
            if found is None:
                return None
            if not found.trusted:
                await documents.touch(digest, _now())
            self._cache[digest] = (now, found)
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        assert found is not None
        return None if trusted_only and not found.trusted else found


def _now() -> datetime:
    return datetime.now(UTC)


async def document_id_of(method: str, query_params: Any, body: bytes | None) -> str | None:
    """The request's `documentId` (GraphQL over HTTP, persisted documents appendix), if any."""
    if method == "GET":
        value = query_params.get("documentId")
    else:
        try:
            parsed = json.loads(body or b"null")
        except ValueError:
            return None
        value = parsed.get("documentId") if isinstance(parsed, dict) else None
    return value if isinstance(value, str) and value else None


def persisted_get(request: Any) -> bool:
    """A GET that names a persisted document (not a browser asking for GraphiQL)."""
    params = request.query_params
    return "extensions" in params or "documentId" in params


def refuse_partner(viewer: Viewer) -> Viewer:
    """API keys run trusted documents over HTTP only: their WebSocket connections are refused."""
    if viewer.kind is ViewerKind.PARTNER:
        raise ConnectionRejectionError(
            {
                "message": "API keys run trusted documents over HTTP",
                "code": "PERSISTED_QUERY_REQUIRED",
            }
        )
    return viewer
