"""What a partner API key may run: each root field needs one scope, checked here once for
every operation a PARTNER viewer sends. A root field not listed is not for API keys."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from graphql_api.auth import ViewerKind
from graphql_api.gateway.rate_limits import RateLimited, limiter_for
from models.partners import Scope

"Root fields any key may use."
OPEN = frozenset(
    {"__typename", "viewer", "organization", "consentText", "verifySignature", "verifyEvidence"}
)
REQUIRED: dict[str, Scope] = {
    **dict.fromkeys(
        ("quote", "quotes", "thread", "node", "engagement", "engagementSummary", "quoteEvidence",
         "deviceCatalog", "priceGrid", "instantQuote"),
        Scope.QUOTES_READ,
    ),
    **dict.fromkeys(
        ("createQuoteRequest", "submitQuote", "counterOffer", "acceptAllRemaining",
         "rejectAllRemaining", "withdrawAcceptance", "cancelQuote", "convertToBuyOrder",
         "sendMessage", "shareQuote", "createDraftQuote", "updateDraftQuote", "issueQuote",
         "recallQuote", "extendQuote", "copyQuote", "lookupImeis", "recheckImeis"),
        Scope.QUOTES_WRITE,
    ),
    "submitTradeIn": Scope.TRADE_INS_WRITE,
    **dict.fromkeys(
        ("webhookEndpoints", "webhookDeliveries", "createWebhookEndpoint", "updateWebhookEndpoint",
         "deleteWebhookEndpoint", "redeliverWebhook", "sendWebhookPing"),
        Scope.WEBHOOKS_MANAGE,
    ),
}  # fmt: skip


def root_fields(document: DocumentNode, operation: OperationDefinitionNode) -> Iterator[str]:
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if definition.kind == "fragment_definition"
    }

    def walk(selection_set: SelectionSetNode, seen: frozenset[str]) -> Iterator[str]:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection.name.value
            elif isinstance(selection, InlineFragmentNode):
                yield from walk(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in seen:
                    fragment = fragments[name].selection_set  # type: ignore[attr-defined]
                    yield from walk(fragment, seen | {name})

    yield from walk(operation.selection_set, frozenset())


def refusal(
    scopes: frozenset[str], document: DocumentNode, operation_name: str | None
) -> GraphQLError | None:
    """Why a key with `scopes` may not run the operation, or None."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None  # graphql-core reports the missing operation itself
    for field in root_fields(document, operation):
        if field in OPEN:
            continue
        scope = REQUIRED.get(field)
        if scope is None:
            return GraphQLError(
                f"`{field}` is not available to API keys", extensions={"code": "FORBIDDEN"}
            )
        if scope.value not in scopes:
            return GraphQLError(
                f"this API key lacks the {scope.value} scope that `{field}` needs",
                extensions={"code": "FORBIDDEN", "scope": scope.value},
            )
    return None


class PartnerScopes(SchemaExtension):
    """A PARTNER viewer's operation runs only if its key holds every scope it needs."""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        viewer = getattr(context, "viewer", None)
        document = self.execution_context.graphql_document
        if viewer is not None and viewer.kind is ViewerKind.PARTNER and document is not None:
            error = refusal(viewer.scopes, document, self.execution_context.operation_name)
            if error is None:
                error = await _over_rate(context, viewer.token_id)
            if error is not None:
                self.execution_context.result = GraphQLExecutionResult(data=None, errors=[error])
        yield


async def _over_rate(context: Any, token_id: int | None) -> GraphQLError | None:
    """RATE_LIMITED once the key ran more operations than its `partner` rate allows."""
    try:
        await limiter_for(context.settings.limits).hit("partner", f"key:{token_id}")
    except RateLimited as refused:
        return refused.graphql_error()
    return None
