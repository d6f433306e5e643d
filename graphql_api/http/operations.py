"""GraphQL operations as an operator sees them: counted and timed by name and outcome, their
errors counted by code and logged — an expected client error as one line without traceback,
a fault with its traceback — and their name and viewer given to the request's log lines."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from graphql_api.http.metrics import (
    GRAPHQL_DURATION,
    GRAPHQL_ERRORS,
    GRAPHQL_OPERATIONS,
    operation_label,
)
from graphql_api.http.scope import RequestScope, current_scope

log = logging.getLogger("tradequote.graphql")


def _is_unexpected(error: GraphQLError) -> bool:
    from graphql_api.schema import is_unexpected  # the schema's own rule (it imports us)

    return is_unexpected(error)


def error_code(error: GraphQLError) -> str:
    code = (error.extensions or {}).get("code")
    if isinstance(code, str) and code:
        return code
    if _is_unexpected(error):
        return "INTERNAL_SERVER_ERROR"
    if isinstance(error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"
    return "GRAPHQL_VALIDATION_FAILED"


def _operation_type(context: ExecutionContext) -> str:
    try:
        return context.operation_type.value
    except RuntimeError:  # the document did not parse
        return "unknown"


def _viewer(context: ExecutionContext) -> str | None:
    request_context = context.context
    if getattr(request_context, "auth_error", None) is not None:
        return "INVALID_TOKEN"
    viewer = getattr(request_context, "viewer", None)
    return str(viewer.kind) if viewer is not None else None


def report_errors(errors: Sequence[GraphQLError], context: ExecutionContext | None) -> None:
    """`Schema.process_errors`: count every error by code and log each fault with its
    traceback. Expected client errors add their codes to the request's access line (over
    WebSocket, one line for the operation): codes and paths only, never messages, which may
    quote the input."""
    expected: set[str] = set()
    paths: set[str] = set()
    for error in errors:
        code = error_code(error)
        GRAPHQL_ERRORS.labels(code).inc()
        if _is_unexpected(error):
            log.error(
                "unexpected error: %s",
                error.message,
                exc_info=error.original_error,
                extra={"path": _path(error)},
            )
        else:
            expected.add(code)
            if error.path:
                paths.add(_path(error))
    if not expected:
        return
    scope = current_scope()
    if scope is not None and not scope.websocket:
        scope.error_codes |= expected
    else:
        operation = operation_label(context.operation_name) if context else None
        log.info(
            "graphql client error",
            extra={"codes": sorted(expected), "paths": sorted(paths), "operation": operation},
        )


def _path(error: GraphQLError) -> str:
    return ".".join(str(part) for part in error.path or ())


def _outcome(errors: Sequence[GraphQLError], data: Any) -> str:
    if errors:
        return "server_error" if any(_is_unexpected(e) for e in errors) else "client_error"
    if isinstance(data, dict) and any(
        isinstance(payload, dict) and payload.get("userErrors") for payload in data.values()
    ):
        return "user_error"
    return "ok"


class ObserveOperations(SchemaExtension):
    """Metrics and log fields per operation. Listed after `MaskUnexpectedErrors`, so that it
    sees a result's errors before they are masked."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        scope = current_scope()
        if scope is not None:
            scope.viewer = _viewer(self.execution_context)
        try:
            yield
        finally:  # also when the operation is cancelled: a subscription whose client left
            self._record(time.perf_counter() - started, scope)

    def _record(self, elapsed: float, scope: RequestScope | None) -> None:
        context = self.execution_context
        name = operation_label(context.operation_name)
        kind = _operation_type(context)
        result = context.result
        errors = (getattr(result, "errors", None) or context.pre_execution_errors) or []
        outcome = _outcome(errors, getattr(result, "data", None))
        GRAPHQL_OPERATIONS.labels(name, kind, outcome).inc()
        if kind != "subscription":
            GRAPHQL_DURATION.labels(name, kind).observe(elapsed)
        if scope is not None and not scope.websocket:  # a WebSocket carries many operations
            scope.operation = name
            scope.operation_type = kind
            scope.outcome = outcome
