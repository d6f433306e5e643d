"""The schema extension that guards every operation: parsing and validation with caches that
long documents never enter, the token, depth, alias, directive and cost limits, staff-only
introspection and no field suggestions in production, and the public-mutation rate limit.

It replaces strawberry's ParserCache, ValidationCache, QueryDepthLimiter, MaxAliasesLimiter
and MaxTokensLimiter. Every rule class is made once per configuration (`rules_for`), so the
validation cache, keyed by the document text and the rules, hits for a repeated document.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from functools import cache, lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    parse,
    specified_rules,
    validate,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types.graphql import OperationType

from graphql_api.auth import ViewerKind
from graphql_api.gateway.config import Limits
from graphql_api.gateway.cost import CostAnalysis
from graphql_api.gateway.rate_limits import RateLimited, client_key, limiter_for
from graphql_api.gateway.rules import limit_error, rules_for

CACHE_SIZE = 1024
DEFAULT_LIMITS = Limits()
SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?", re.DOTALL)
COST_HEADER = "tradequote-cost"
SPECIFIED_RULES = tuple(specified_rules)


def coded(error: GraphQLError, code: str) -> GraphQLError:
    """`error` with `extensions.code` set, unless it has one already."""
    if (error.extensions or {}).get("code"):
        return error
    return GraphQLError(
        error.message, error.nodes, error.source, error.positions, error.path,
        error.original_error, {**(error.extensions or {}), "code": code},
    )  # fmt: skip


def _parse(query: str, max_tokens: int) -> DocumentNode:
    try:
        return parse(query, max_tokens=max_tokens)
    except GraphQLSyntaxError as error:
        if "tokens" in error.message and "Parsing aborted" in error.message:
            raise limit_error(
                f"The document has more than {max_tokens} tokens; at most {max_tokens} are allowed.",
                "TOKEN_LIMIT_EXCEEDED",
            ) from None
        raise coded(error, "GRAPHQL_PARSE_FAILED") from None


_cached_parse = lru_cache(maxsize=CACHE_SIZE)(_parse)


def _validate(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> list[GraphQLError]:
    errors = validate(
        schema,
        document,
        (*rules, MaybeNullValidationRule, OneOfInputValidationRule),
        hide_suggestions=hide_suggestions,
    )
    return [coded(error, "GRAPHQL_VALIDATION_FAILED") for error in errors]


@lru_cache(maxsize=CACHE_SIZE)
def _cached_validate(
    schema: GraphQLSchema,
    query: str,
    max_tokens: int,
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> list[GraphQLError]:
    """Keyed by the document's text (whose hash Python keeps), not by its syntax tree (whose
    hash graphql-core computes over every node, each time)."""
    return _validate(schema, _cached_parse(query, max_tokens), rules, hide_suggestions)


def validation_cache_info() -> Any:
    return _cached_validate.cache_info()


@cache
def _analysis(schema: GraphQLSchema) -> CostAnalysis:
    return CostAnalysis(schema, CACHE_SIZE)


def strip_suggestions(error: GraphQLError) -> GraphQLError:
    message = SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return GraphQLError(
        message, error.nodes, error.source, error.positions, error.path,
        error.original_error, error.extensions,
    )  # fmt: skip



class Gateway(SchemaExtension):
    """Limits for one operation, by the settings of the context it runs in."""

    cost: int | None = None

    def _limits(self) -> tuple[Limits, bool]:
        settings = getattr(self.execution_context.context, "settings", None)
        if settings is None:
            return DEFAULT_LIMITS, False
        return settings.limits, settings.production

    def _staff(self) -> bool:
        viewer = getattr(self.execution_context.context, "viewer", None)
        return viewer is not None and viewer.kind is ViewerKind.STAFF

    def _cacheable(self, limits: Limits) -> bool:
        query = self.execution_context.query or ""
        return len(query) <= limits.max_cached_document_bytes

    def on_operation(self) -> Iterator[None]:
        limits, production = self._limits()
        rules = rules_for(
            limits.max_depth, limits.max_aliases, limits.max_directives,
            not production or self._staff(),
        )  # fmt: skip
        self.execution_context.validation_rules = SPECIFIED_RULES + rules
        yield
        if production:
            result = self.execution_context.result
            if result is not None and result.errors:
                result.errors = [strip_suggestions(error) for error in result.errors]

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        limits, _ = self._limits()
        query = context.query or ""
        parse_document = _cached_parse if self._cacheable(limits) else _parse
        context.graphql_document = parse_document(query, limits.max_tokens)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        limits, production = self._limits()
        schema = context.schema._schema
        rules = context.validation_rules
        assert context.graphql_document is not None
        if self._cacheable(limits):
            errors = _cached_validate(schema, context.query or "", limits.max_tokens, rules, production)
        else:
            errors = _validate(schema, context.graphql_document, rules, production)
        context.pre_execution_errors = errors
        yield

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        limits, _ = self._limits()
        self.cost = _analysis(context.schema._schema).cost(
            context.query or "",
            context.graphql_document,
            context.operation_name,
            context.variables,
            cache=self._cacheable(limits),
        )
        if self.cost > limits.max_cost:
            raise limit_error(
                f"The query may cost {self.cost} points; at most {limits.max_cost} are allowed. "
                "Ask for smaller pages (first/last) or fewer fields.",
                "COST_LIMIT_EXCEEDED", cost=self.cost, maximumCost=limits.max_cost,
            )  # fmt: skip
        if context.operation_type is OperationType.MUTATION and self._anonymous():
            try:
                await limiter_for(limits).hit("public_mutation", client_key(context.context))
            except RateLimited as refused:
                raise refused.graphql_error() from None
        yield

    def _anonymous(self) -> bool:
        context = self.execution_context.context
        viewer = getattr(context, "viewer", None)
        refused = getattr(context, "auth_error", None) is not None  # fails UNAUTHENTICATED
        return viewer is not None and viewer.kind is ViewerKind.ANONYMOUS and not refused

    def get_results(self) -> dict[str, Any]:
        if self.cost is None or not self._cost_asked():
            return {}
        limits, _ = self._limits()
        return {"cost": {"requested": self.cost, "maximum": limits.max_cost}}

    def _cost_asked(self) -> bool:
        asked = (self.execution_context.operation_extensions or {}).get("cost")
        if asked is True:
            return True
        request = getattr(self.execution_context.context, "request", None)
        headers = getattr(request, "headers", None)
        return headers is not None and headers.get(COST_HEADER, "").lower() in ("1", "true", "yes")
