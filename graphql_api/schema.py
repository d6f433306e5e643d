"""The schema, assembled from the resolver modules' root fields."""

from __future__ import annotations

from collections.abc import Iterator

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext as OperationContext

from graphql_api.errors import unauthenticated
from graphql_api.gateway.scopes import PartnerScopes
from graphql_api.http.operations import ObserveOperations, report_errors
from graphql_api.http.tracing import tracing_extension
from graphql_api.gateway.faults import DatabaseFaults
from graphql_api.gateway.input import InputGuard
from graphql_api.input_conversion import plan_input_conversion
from graphql_api.gateway.guard import Gateway
from graphql_api.live import ExecutionContext, LoadersPerOperation
from graphql_api.types.buy_order import BuyOrder
from graphql_api.types.common import SCALAR_OVERRIDES
from graphql_api.types.inventory import InventoryUnit, ReturnShipment
from graphql_api.types.payout import Payout
from graphql_api.types.revised_offer import RevisedOffer
from graphql_api.types.notification import Notification
from graphql_api.types.organization import Organization, StaffMember
from graphql_api.types.quote import Quote, QuoteLine
from graphql_api.types.thread import ThreadMessage
from resolvers.audit import AuditQueries
from resolvers.branding import BrandingMutations
from resolvers.buy_orders import BuyOrderMutations
from resolvers.devices import DeviceMutations, DeviceQueries
from resolvers.drafts import DraftMutations
from resolvers.engagement import EngagementQueries, SharingMutations
from resolvers.evidence import EvidenceQueries
from resolvers.links import LinkMutations
from resolvers.live import QuoteSubscriptions
from resolvers.negotiation import NegotiationMutations
from resolvers.notifications import (
    NotificationMutations,
    NotificationQueries,
    NotificationSubscriptions,
)
from resolvers.organization import OrganizationQueries
from resolvers.payouts import PayoutListQueries, PayoutMutations, PayoutQueries
from resolvers.partners import PartnerMutations, PartnerQueries
from resolvers.portal import PortalMutations
from resolvers.quotes import QuoteQueries
from resolvers.receiving import ReceivingMutations, ReceivingQueries
from resolvers.requests import RequestMutations
from resolvers.revised_offers import RevisedOfferMutations, RevisedOfferQueries
from resolvers.settings import SettingsMutations
from resolvers.team import TeamMutations, TeamQueries
from resolvers.thread import ThreadMutations
from resolvers.tokens import TokenMutations, TokenQueries
from resolvers.trade_in import TradeInMutations, TradeInQueries

Query = merge_types(
    "Query",
    (
        OrganizationQueries,
        QuoteQueries,
        NotificationQueries,
        EngagementQueries,
        DeviceQueries,
        TradeInQueries,
        EvidenceQueries,
        TeamQueries,
        TokenQueries,
        AuditQueries,
        PayoutQueries,
        PayoutListQueries,
        ReceivingQueries,
        RevisedOfferQueries,
        PartnerQueries,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        RequestMutations,
        NegotiationMutations,
        BuyOrderMutations,
        ThreadMutations,
        NotificationMutations,
        SharingMutations,
        BrandingMutations,
        DraftMutations,
        PortalMutations,
        DeviceMutations,
        TradeInMutations,
        TeamMutations,
        TokenMutations,
        LinkMutations,
        SettingsMutations,
        PayoutMutations,
        ReceivingMutations,
        RevisedOfferMutations,
        PartnerMutations,
    ),
)
Subscription = merge_types("Subscription", (QuoteSubscriptions, NotificationSubscriptions))


class Authentication(SchemaExtension):
    """A request whose token was refused fails as a whole with UNAUTHENTICATED."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        error = getattr(context, "auth_error", None)
        if error is not None:
            self.execution_context.result = GraphQLExecutionResult(
                data=None, errors=[unauthenticated(error, getattr(context, "auth_reason", None))]
            )
        yield


def is_unexpected(error: GraphQLError) -> bool:
    """A fault, not an answer: its text stays in the server log, never reaches the client."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """`MaskErrors` with `is_unexpected`, without its cost per result: strawberry checks each
    result against a runtime-checkable Protocol, an `isinstance` that took ~6% of the server's
    time fanning a message out to 1,000 subscribers (once per subscriber, per event)."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected)

    def _process_result(self, result: object) -> None:
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]


class Schema(strawberry.Schema):
    """Errors are counted and logged by `report_errors` (an expected one without traceback)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: OperationContext | None = None
    ) -> None:
        report_errors(errors, execution_context)


def build_schema() -> strawberry.Schema:
    built = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[
            Quote, QuoteLine, ThreadMessage, BuyOrder, Organization, StaffMember, Notification,
            Payout, InventoryUnit, RevisedOffer, ReturnShipment,
        ],
        execution_context_class=ExecutionContext,
        scalar_overrides=SCALAR_OVERRIDES,
        extensions=[
            tracing_extension,  # first: its span covers the others
            Authentication,
            InputGuard,
            DatabaseFaults,
            PartnerScopes,
            LoadersPerOperation,
            Gateway,  # parse and validation caches, limits, production hardening
            MaskUnexpectedErrors,
            ObserveOperations,  # after MaskUnexpectedErrors: it sees errors before masking
        ],
    )
    plan_input_conversion(built)
    return built


schema = build_schema()
