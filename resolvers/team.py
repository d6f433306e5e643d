"""The team: `staffMembers`, `inviteStaff`, `updateStaffRole`, `deactivateStaff`, and staff
sign-in by emailed code (`requestStaffSignIn`, `signInStaff`, `signOut`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserError, attempt, not_found
from graphql_api.ids import decode_id
from graphql_api.loaders import StaffRecord
from graphql_api.permissions import staff_caller
from graphql_api.types.enums import StaffRole
from graphql_api.types.organization import StaffMember
from models.negotiation import StaffRole as Role
from models.organization import StaffMember as StaffRow
from models.services import signin, staff, tokens
from models.services.audit import Admin, admin_of
from models.services.engagement import client_hash


def staff_member(row: StaffRow) -> StaffMember:
    return StaffMember.from_record(
        StaffRecord(
            id=row.id,
            organization_id=row.organization_id,
            name=row.name,
            email=row.email,
            role=row.role,
            active=row.active,
            invitation_pending=row.invitation_pending,
            last_active_at=row.last_active_at,
        )
    )


def admin(info: Info) -> Admin:
    """The staff caller as an administrator (their role is checked by each use case)."""
    return admin_of(staff_caller(info), info.context.settings.secret_key)


@strawberry.input(description="Invite someone to the team by email.")
class InviteStaffInput:
    email: str
    role: StaffRole = strawberry.field(description="Only an OWNER can invite an OWNER.")
    name: str | None = strawberry.field(default=None, description="Defaults to the email's local part.")


@strawberry.input(description="Give a member another role.")
class UpdateStaffRoleInput:
    staff_id: strawberry.ID
    role: StaffRole


@strawberry.input(description="Deactivate a member: every token of theirs stops working at once.")
class DeactivateStaffInput:
    staff_id: strawberry.ID
    reassign_quotes_to: strawberry.ID | None = strawberry.field(
        default=None, description="Another active member who takes over the quotes they created."
    )


@strawberry.input(description="Ask for a sign-in code by email.")
class RequestStaffSignInInput:
    organization_slug: str
    email: str


@strawberry.input(description="Trade the emailed code (or the invitation's) for a session token.")
class SignInStaffInput:
    organization_slug: str
    email: str
    code: str = strawberry.field(description="The 6 digits from the email.")


@strawberry.type(description="The member acted on, or why nothing changed.")
class StaffMemberPayload:
    staff_member: StaffMember | None
    user_errors: list[UserError]


@strawberry.type(description="Whether a code was sent.")
class RequestStaffSignInPayload:
    sent: bool = strawberry.field(
        description="True for any well-formed request, whether or not the email belongs to staff: nothing is revealed."
    )
    user_errors: list[UserError]


@strawberry.type(description="A staff session, or why the code was refused.")
class SignInStaffPayload:
    token: str | None = strawberry.field(
        description="A session token (tqs_…) for the Authorization header, shown once."
    )
    expires_at: datetime | None = strawberry.field(
        description="When the session ends unless used: each use extends it, up to 30 days."
    )
    staff_member: StaffMember | None
    user_errors: list[UserError]


@strawberry.type(description="The result of signing out.")
class SignOutPayload:
    signed_out: bool = strawberry.field(description="True when the token that made the request was revoked.")


def _staff_result(result: StaffRow | list[UserError]) -> StaffMemberPayload:
    if isinstance(result, list):
        return StaffMemberPayload(staff_member=None, user_errors=result)
    return StaffMemberPayload(staff_member=staff_member(result), user_errors=[])


@strawberry.type
class TeamQueries:
    @strawberry.field(description="Staff: the team, OWNERs first, with roles, status and last activity.")
    async def staff_members(
        self,
        info: Info,
        include_deactivated: Annotated[
            bool, strawberry.argument(description="Also list deactivated members.")
        ] = False,
    ) -> list[StaffMember]:
        caller = staff_caller(info)
        assert caller.organization_id is not None
        rows = await staff.team(caller.organization_id, include_deactivated)
        return [StaffMember.from_record(StaffRecord(**row)) for row in rows]


@strawberry.type
class TeamMutations:
    @strawberry.mutation(
        description="OWNER, MANAGER: invite someone by email with a role; the email carries a one-time code."
    )
    async def invite_staff(self, info: Info, input: InviteStaffInput) -> StaffMemberPayload:
        return _staff_result(
            await attempt(
                staff.invite_staff(
                    info.context.deps, admin(info), input.email, input.name, Role(input.role),
                    datetime.now(UTC),
                )  # fmt: skip
            )
        )

    @strawberry.mutation(
        description="OWNER, MANAGER: change a member's role. Only an OWNER grants or takes away OWNER; the last OWNER stays."
    )
    async def update_staff_role(self, info: Info, input: UpdateStaffRoleInput) -> StaffMemberPayload:
        by = admin(info)
        staff_id = decode_id(input.staff_id, "StaffMember")
        if staff_id is None:
            return StaffMemberPayload(staff_member=None, user_errors=not_found(["input", "staffId"]))
        return _staff_result(
            await attempt(
                staff.update_staff_role(
                    info.context.deps.bus, by, staff_id, Role(input.role), datetime.now(UTC)
                )
            )
        )

    @strawberry.mutation(
        description="OWNER, MANAGER: deactivate a member; their session and access tokens stop working at once."
    )
    async def deactivate_staff(self, info: Info, input: DeactivateStaffInput) -> StaffMemberPayload:
        by = admin(info)
        staff_id = decode_id(input.staff_id, "StaffMember")
        if staff_id is None:
            return StaffMemberPayload(staff_member=None, user_errors=not_found(["input", "staffId"]))
        heir = None
        if input.reassign_quotes_to is not None:
            heir = decode_id(input.reassign_quotes_to, "StaffMember")
            if heir is None:
                return StaffMemberPayload(
                    staff_member=None, user_errors=not_found(["input", "reassignQuotesTo"])
                )
        return _staff_result(
            await attempt(
                staff.deactivate_staff(info.context.deps.bus, by, staff_id, heir, datetime.now(UTC))
            )
        )

    @strawberry.mutation(
        description="Anyone: email a sign-in code to a staff member. The answer is the same whether or not the email belongs to staff."
    )
    async def request_staff_sign_in(
        self, info: Info, input: RequestStaffSignInInput
    ) -> RequestStaffSignInPayload:
        result = await attempt(
            signin.request_sign_in(
                info.context.deps, input.organization_slug, input.email, datetime.now(UTC)
            )
        )
        if isinstance(result, list):
            return RequestStaffSignInPayload(sent=False, user_errors=result)
        return RequestStaffSignInPayload(sent=True, user_errors=[])

    @strawberry.mutation(
        description="Anyone holding an emailed code: a staff session token. A few wrong codes burn it."
    )
    async def sign_in_staff(self, info: Info, input: SignInStaffInput) -> SignInStaffPayload:
        ctx = info.context
        result = await attempt(
            signin.sign_in(
                ctx.deps, input.organization_slug, input.email, input.code, datetime.now(UTC),
                client_hash(ctx.settings.secret_key, ctx.client_ip), ctx.user_agent,
            )  # fmt: skip
        )
        if isinstance(result, list):
            return SignInStaffPayload(token=None, expires_at=None, staff_member=None, user_errors=result)
        return SignInStaffPayload(
            token=result.token,
            expires_at=result.expires_at,
            staff_member=staff_member(result.staff),
            user_errors=[],
        )

    @strawberry.mutation(description="Staff: revoke the token that makes this request.")
    async def sign_out(self, info: Info) -> SignOutPayload:
        staff_caller(info)
        token_id = info.context.viewer.token_id
        revoked = token_id is not None and await tokens.revoke_own_token(
            info.context.deps.bus, token_id, datetime.now(UTC)
        )
        return SignOutPayload(signed_out=revoked)
