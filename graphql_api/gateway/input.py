"""Input no field can use, refused before any resolver runs: every string the client sent (in
variables or written in the document) is checked once for lone surrogates and NUL, which no
database stores and no text contains; and every refusal of a variable's value carries
`extensions.code` `BAD_USER_INPUT`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from cross_web import HTTPException
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, StringValueNode, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension

from graphql_api.types.common import bad_input

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MAX_NESTING = 64
ENVELOPE = {"query": "query", "operation_name": "operationName", "extensions": "extensions"}


def unstorable_path(value: object, path: str, depth: int = 0) -> str | None:
    """The path of the first string in `value` holding NUL or a lone surrogate, if any."""
    if isinstance(value, str):
        return path if UNSTORABLE.search(value) else None
    if depth > MAX_NESTING:
        return path
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and UNSTORABLE.search(key):
                return path
            if (found := unstorable_path(item, f"{path}.{key}", depth + 1)) is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if (found := unstorable_path(item, f"{path}.{index}", depth + 1)) is not None:
                return found
    return None


class _Literals(Visitor):
    found = False

    def enter_string_value(self, node: StringValueNode, *_: object) -> None:
        if UNSTORABLE.search(node.value):
            self.found = True


def refuse_unstorable_envelope(data: object) -> None:
    """HTTP 400 for a request (or batch) whose query text, operation name or extensions hold NUL
    or a lone surrogate: errors about them would echo them, and no answer can encode them."""
    for item in data if isinstance(data, list) else [data]:
        for part, name in ENVELOPE.items():
            if unstorable_path(getattr(item, part, None), name) is not None:
                raise HTTPException(
                    400, f"The request's {name} may not contain NUL or lone surrogates."
                )


def refusal(where: str) -> GraphQLError:
    return bad_input(f"{where}: text may not contain NUL or lone surrogates.")


class InputGuard(SchemaExtension):
    """Refuses unstorable strings up front, and codes the variable errors of execution."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.result is None:
            error = None
            where = unstorable_path(context.variables or {}, "$")
            if where is not None:
                error = refusal(f"Variable {where}")
            elif context.graphql_document is not None and "\\u" in (context.query or ""):
                # Only an escape (\u0000, \ud800) puts NUL or a surrogate in a literal: the
                # lexer refuses them written raw.
                literals = _Literals()
                visit(context.graphql_document, literals)
                if literals.found:
                    error = refusal("A string in the document")
            if error is not None:
                context.result = GraphQLExecutionResult(data=None, errors=[error])
        yield
        result = context.result
        for error in getattr(result, "errors", None) or []:
            if error.path is None and not (error.extensions or {}).get("code"):
                # No path: the operation never ran, because a variable's value was refused.
                error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
