"""GraphQL over HTTP (https://graphql.github.io/graphql-over-http/): the
`application/graphql-response+json` media type for clients that accept it, with the spec's
status codes, and every refusal of a whole request as a GraphQL-shaped JSON body.

- A request error (the document does not parse or validate, a limit refuses it, variables do
  not coerce): with `application/graphql-response+json`, HTTP 400 and no `data` entry; with
  `application/json`, HTTP 200 and `"data": null`, as before the media type existed.
- Rate limited as a whole: HTTP 429 with `Retry-After`, whatever the media type.
- A mutation over GET: 405 with `Allow: POST`. A body that is not JSON, or nested too deeply to
  decode: 400. A batch when batching is off or too large: 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from graphql_api.gateway.admission import Admission
from graphql_api.gateway.rate_limits import RateLimited

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
STATE = "tradequote.http"


def _quality(accept: str, media_type: str) -> float:
    """The q-value `accept` gives `media_type` exactly (wildcards ignored), 0 when absent."""
    for item in accept.split(","):
        kind, *params = [part.strip() for part in item.split(";")]
        if kind.lower() == media_type:
            for param in params:
                name, _, value = param.partition("=")
                if name.strip().lower() == "q":
                    try:
                        return float(value)
                    except ValueError:
                        return 0.0
            return 1.0
    return 0.0


def response_media_type(headers: Mapping[str, str]) -> str:
    """`application/graphql-response+json` when the client accepts it at least as much as
    `application/json`; otherwise `application/json` (also for clients that send no Accept)."""
    accept = headers.get("accept", "")
    preferred = _quality(accept, GRAPHQL_RESPONSE)
    return GRAPHQL_RESPONSE if preferred > 0 and preferred >= _quality(accept, JSON) else JSON


def error_response(
    headers: Mapping[str, str],
    status: int,
    message: str,
    code: str,
    extra_headers: Mapping[str, str] | None = None,
    **extensions: object,
) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type=response_media_type(headers),
        headers=dict(extra_headers or {}),
    )


def refusal_response(headers: Mapping[str, str], refused: RateLimited) -> Response:
    """HTTP 429 for a request refused as a whole by a rate limit."""
    error = refused.graphql_error()
    return error_response(
        headers, 429, error.message, "RATE_LIMITED",
        {"Retry-After": str(refused.retry_after)},
        retryAfter=refused.retry_after, bucket=refused.bucket,
    )  # fmt: skip


def is_request_error(result: ExecutionResult) -> bool:
    """Refused before execution began: no data, and no error belongs to a field."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(e.path is None for e in errors)


def _code(error: GraphQLError) -> object:
    return (error.extensions or {}).get("code")


class GraphQLOverHTTP:
    """A mixin for strawberry's ASGI `GraphQL` view (put it first among the bases)."""

    settings: Any
    admission: Admission

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        if not isinstance(request, Request):  # a WebSocket
            return await super().run(request, context, root_value)  # type: ignore[misc]
        try:
            async with self.admission.turn():
                response = await super().run(request, context, root_value)  # type: ignore[misc]
        except RateLimited as refused:
            return refusal_response(request.headers, refused)
        except HTTPException as error:
            allow = {"Allow": "POST"} if error.status_code == 405 else None
            return error_response(request.headers, error.status_code, error.reason, "BAD_REQUEST", allow)
        state = request.scope.get(STATE)
        if response.media_type == JSON or response.headers.get("content-type") == JSON:
            media_type = response_media_type(request.headers)
            if media_type != JSON:
                response.headers["content-type"] = media_type
        if state:
            response.status_code = state["status"]
            for name, value in state.get("headers", {}).items():
                response.headers[name] = value
        return response

    async def execute_single(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().execute_single(*args, **kwargs)  # type: ignore[misc]
        except HTTPException as error:
            if isinstance(error.__cause__, InvalidOperationTypeError):
                raise HTTPException(405, error.reason) from error
            raise

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        data: GraphQLHTTPResponse = await super().process_result(request, result)  # type: ignore[misc]
        if not isinstance(request, Request) or not is_request_error(result):
            return data
        errors = result.errors or []
        limited = [e for e in errors if _code(e) == "RATE_LIMITED"]
        if limited:
            retry = max(int((e.extensions or {}).get("retryAfter", 1)) for e in limited)
            request.scope[STATE] = {"status": 429, "headers": {"Retry-After": str(retry)}}
        elif response_media_type(request.headers) == GRAPHQL_RESPONSE:
            unauthenticated = any(_code(e) == "UNAUTHENTICATED" for e in errors)
            request.scope[STATE] = (
                {"status": 401, "headers": {"WWW-Authenticate": "Bearer"}}
                if unauthenticated
                else {"status": 400}
            )
            data.pop("data", None)
        return data

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return super().parse_json(data)  # type: ignore[misc]
        except RecursionError:
            raise HTTPException(400, "The JSON body is nested too deeply.") from None

    def _validate_batch_request(self, request_data: list[Any], protocol: str = "http") -> None:
        most = self.settings.limits.max_batch
        if most <= 1:
            raise HTTPException(400, "Batching is off: send one operation per request.")
        if len(request_data) > most:
            raise HTTPException(400, f"A batch holds at most {most} operations.")
        if protocol != "http":
            raise HTTPException(400, "Batching is not supported over streaming transports.")
