"""Personal access tokens: `createAccessToken` (the secret shown once), `accessTokens`,
`revokeAccessToken`."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserError, attempt, not_found
from graphql_api.ids import decode_id
from graphql_api.permissions import staff_caller
from graphql_api.types.team import AccessTokenInfo
from models.services import tokens
from resolvers.team import admin


@strawberry.input(description="A named token for scripts and GraphiQL.")
class CreateAccessTokenInput:
    name: str = strawberry.field(description="What it is for, e.g. `stock sync script`.")
    expires_at: datetime | None = strawberry.field(
        default=None, description="At most 366 days ahead; null: it does not expire."
    )


@strawberry.input(description="The token to revoke.")
class RevokeAccessTokenInput:
    id: strawberry.ID


@strawberry.type(description="The new token: its secret is shown here once and never again.")
class CreateAccessTokenPayload:
    token: str | None = strawberry.field(description="The secret (tqs_…): store it now.")
    access_token: AccessTokenInfo | None
    user_errors: list[UserError]


@strawberry.type(description="The revoked token, or why nothing changed.")
class RevokeAccessTokenPayload:
    access_token: AccessTokenInfo | None
    user_errors: list[UserError]


@strawberry.type
class TokenQueries:
    @strawberry.field(
        description="Staff: your personal access tokens that are not revoked, newest first."
    )
    async def access_tokens(self, info: Info) -> list[AccessTokenInfo]:
        caller = staff_caller(info)
        assert caller.staff_id is not None
        return [AccessTokenInfo.from_row(row) for row in await tokens.personal_tokens(caller.staff_id)]


@strawberry.type
class TokenMutations:
    @strawberry.mutation(description="Staff: a new personal access token; its secret is shown once.")
    async def create_access_token(
        self, info: Info, input: CreateAccessTokenInput
    ) -> CreateAccessTokenPayload:
        result = await attempt(
            tokens.create_access_token(admin(info), input.name, input.expires_at, datetime.now(UTC))
        )
        if isinstance(result, list):
            return CreateAccessTokenPayload(token=None, access_token=None, user_errors=result)
        secret, row = result
        return CreateAccessTokenPayload(
            token=secret, access_token=AccessTokenInfo.from_row(row), user_errors=[]
        )

    @strawberry.mutation(
        description="Staff: revoke one of your tokens; OWNER and MANAGER may revoke any staff token of the organization."
    )
    async def revoke_access_token(
        self, info: Info, input: RevokeAccessTokenInput
    ) -> RevokeAccessTokenPayload:
        by = admin(info)
        token_id = decode_id(input.id, "AccessToken")
        if token_id is None:
            return RevokeAccessTokenPayload(access_token=None, user_errors=not_found(["input", "id"]))
        result = await attempt(
            tokens.revoke_access_token(info.context.deps.bus, by, token_id, datetime.now(UTC))
        )
        if isinstance(result, list):
            return RevokeAccessTokenPayload(access_token=None, user_errors=result)
        return RevokeAccessTokenPayload(access_token=AccessTokenInfo.from_row(result), user_errors=[])
