"""The customer portal's sign-in: `requestPortalCode` and `signInToPortal`."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_api.auth import issue_token
from graphql_api.context import Info
from graphql_api.errors import UserError, attempt
from graphql_api.gateway.rate_limits import limit
from models.organization import TokenKind
from models.services import portal


@strawberry.input(description="Ask for a sign-in code to the portal of one organization.")
class RequestPortalCodeInput:
    organization_slug: str = strawberry.field(description="The organization whose portal to open.")
    email: str = strawberry.field(description="Where the code is sent: the email the quotes were made for.")


@strawberry.input(description="Trade an emailed code for a portal session.")
class SignInToPortalInput:
    organization_slug: str = strawberry.field(description="The organization the code was asked for.")
    email: str = strawberry.field(description="The address the code was sent to (any letter case).")
    code: str = strawberry.field(description="The 6 digits of the latest code emailed.")


@strawberry.type(description="The answer to a code request: the same for every well-formed request.")
class RequestPortalCodePayload:
    sent: bool = strawberry.field(
        description="True for any well-formed request, whether or not the email has quotes: nothing is revealed."
    )
    user_errors: list[UserError] = strawberry.field(
        description="A malformed address, an unknown organization, or too many codes asked (LIMIT_EXCEEDED)."
    )


@strawberry.type(description="A portal session, or why the code was refused.")
class SignInToPortalPayload:
    token: str | None = strawberry.field(
        description="A portal session token for the Authorization header."
    )
    expires_at: datetime | None = strawberry.field(description="When the session token stops working.")
    user_errors: list[UserError] = strawberry.field(
        description="A wrong (INVALID_INPUT), expired (EXPIRED) or burned (LIMIT_EXCEEDED) code."
    )


@strawberry.type
class PortalMutations:
    @strawberry.mutation(description="Customer portal: email a one-time sign-in code.")
    async def request_portal_code(
        self, info: Info, input: RequestPortalCodeInput
    ) -> RequestPortalCodePayload:
        await limit(info.context, "portal_code")
        deps = info.context.deps
        result = await attempt(portal.request_code(deps, input.organization_slug, input.email))
        if isinstance(result, list):
            return RequestPortalCodePayload(sent=False, user_errors=result)
        return RequestPortalCodePayload(sent=True, user_errors=[])

    @strawberry.mutation(
        description="Customer portal: trade the emailed code for a portal session token."
    )
    async def sign_in_to_portal(
        self, info: Info, input: SignInToPortalInput
    ) -> SignInToPortalPayload:
        deps = info.context.deps
        result = await attempt(
            portal.redeem_code(deps, input.organization_slug, input.email, input.code)
        )
        if isinstance(result, list):
            return SignInToPortalPayload(token=None, expires_at=None, user_errors=result)
        token, row = await issue_token(
            TokenKind.PORTAL,
            result.organization_id,
            customer_email=result.email,
            ttl=portal.SESSION_TTL,
        )
        return SignInToPortalPayload(token=token, expires_at=row.expires_at, user_errors=[])
