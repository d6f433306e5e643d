"""The team: invitations, role changes and deactivations by OWNERs and MANAGERs, each in one
transaction with its audit entry (and its email in the outbox)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from models import roles
from models import validation as v
from models.audit import AuditAction
from models.errors import DomainError, ErrorCode, Forbidden
from models.negotiation import StaffRole
from models.organization import Organization, StaffMember
from models.outbox import enqueue_email
from models.quote import Quote
from models.services import audit
from models.services.audit import Admin
from models.services.caller import Deps, Publisher
from models.services.signin import INVITATION, INVITATION_TTL, issue_code, revoke_tokens_of
from models.services.tokens import announce_revoked


def status_of(member: StaffMember) -> str:
    if not member.active:
        return "DEACTIVATED"
    return "INVITED" if member.invitation_pending else "ACTIVE"


def facts(member: StaffMember) -> dict[str, Any]:
    return {
        "name": member.name,
        "email": member.email,
        "role": member.role.value,
        "status": status_of(member),
    }


async def _lock_team(admin: Admin) -> tuple[Organization, Admin]:
    """Team changes of one organization run one at a time (the last-OWNER rule counts); the
    acting member's role is read again under the lock, so a change racing theirs counts."""
    organization = await Organization.filter(id=admin.organization_id).select_for_update().get()
    if admin.staff_id is None:
        return organization, admin
    current = await StaffMember.filter(id=admin.staff_id, active=True).first()
    if current is None:
        raise Forbidden("you are no longer on the team")
    return organization, replace(admin, role=current.role)


async def _member(admin: Admin, staff_id: int, field: str = "staffId") -> StaffMember:
    member = await StaffMember.filter(id=staff_id, organization_id=admin.organization_id).first()
    if member is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no such staff member", ["input", field])
    return member


async def _active_owners(organization_id: int) -> int:
    return await StaffMember.filter(
        organization_id=organization_id, role=StaffRole.OWNER, active=True
    ).count()


async def invite_staff(
    deps: Deps, admin: Admin, email: str, name: str | None, role: StaffRole, now: datetime
) -> StaffMember:
    """Add someone (or re-invite a deactivated or pending member) and email them a code."""
    roles.may_grant(admin.role, role)
    address = v.email(email, ["input", "email"]).lower()
    clean_name = v.text(name, ["input", "name"], limit=v.MAX_NAME) or address.split("@")[0]
    async with in_transaction():
        organization, admin = await _lock_team(admin)
        roles.may_grant(admin.role, role)
        member = await StaffMember.filter(
            organization_id=admin.organization_id, email__iexact=address
        ).first()
        before = None if member is None else facts(member)
        if member is None:
            member = await StaffMember.create(
                organization_id=admin.organization_id,
                name=clean_name,
                email=address,
                role=role,
                invitation_pending=True,
            )
        elif member.active and not member.invitation_pending:
            raise DomainError(
                ErrorCode.INVALID_STATE, "this person is on the team already", ["input", "email"]
            )
        else:
            if member.role is StaffRole.OWNER:
                roles.may_manage(admin.role, member.role)
            member.name, member.role = clean_name, role
            member.active, member.invitation_pending, member.deactivated_at = True, True, None
            await member.save()
        code = await issue_code(deps, member, organization.slug, address, INVITATION, now)
        await enqueue_email(
            template="staff_invitation",
            to_address=member.email,
            to_name=member.name,
            organization_id=admin.organization_id,
            context={
                "code": code,
                "expires_days": INVITATION_TTL.days,
                "staff_name": member.name,
                "inviter_name": admin.name,
                "role": role.value,
                "email": member.email,
                "organization_slug": organization.slug,
                "sign_in_url": f"{deps.public_url}/graphql",
            },
            now=now,
        )
        await audit.record(
            admin, AuditAction.STAFF_INVITED, "StaffMember", member.id, member.email,
            before=before, after=facts(member), now=now,
        )  # fmt: skip
    if before is not None:  # a name and role that tokens of theirs may still carry
        await announce_revoked(deps.bus, [], staff=[member.id])
    return member


async def update_staff_role(
    bus: Publisher, admin: Admin, staff_id: int, role: StaffRole, now: datetime
) -> StaffMember:
    """The member's tokens act with the new role from their next request, on every replica."""
    roles.require_admin(admin.role)
    async with in_transaction():
        _, admin = await _lock_team(admin)
        roles.require_admin(admin.role)
        member = await _member(admin, staff_id)
        if not member.active:
            raise DomainError(ErrorCode.INVALID_STATE, "this member is deactivated", ["input", "staffId"])
        roles.may_manage(admin.role, member.role)
        roles.may_grant(admin.role, role)
        if member.role is role:
            return member
        roles.keeps_an_owner(member.role, role, await _active_owners(admin.organization_id))
        before = facts(member)
        member.role = role
        await member.save(update_fields=["role"])
        await audit.record(
            admin, AuditAction.STAFF_ROLE_CHANGED, "StaffMember", member.id, member.email,
            before=before, after=facts(member), now=now,
        )  # fmt: skip
    await announce_revoked(bus, [], staff=[member.id])
    return member


async def deactivate_staff(
    bus: Publisher, admin: Admin, staff_id: int, reassign_to: int | None, now: datetime
) -> StaffMember:
    """Deactivate a member: every token of theirs revoked at once; their quotes stay (handed
    to `reassign_to` when given)."""
    roles.require_admin(admin.role)
    async with in_transaction():
        _, admin = await _lock_team(admin)
        roles.require_admin(admin.role)
        member = await _member(admin, staff_id)
        if not member.active:
            raise DomainError(ErrorCode.INVALID_STATE, "this member is deactivated already", ["input", "staffId"])
        roles.may_manage(admin.role, member.role)
        roles.keeps_an_owner(member.role, None, await _active_owners(admin.organization_id))
        heir = None
        if reassign_to is not None:
            heir = await _member(admin, reassign_to, "reassignQuotesTo")
            if not heir.active or heir.id == member.id:
                raise DomainError(
                    ErrorCode.INVALID_STATE,
                    "hand the quotes to another active member",
                    ["input", "reassignQuotesTo"],
                )
        before = facts(member)
        member.active, member.deactivated_at = False, now
        await member.save(update_fields=["active", "deactivated_at"])
        revoked = await revoke_tokens_of(member.id, now)
        moved = 0
        if heir is not None:
            moved = await Quote.filter(
                organization_id=admin.organization_id, created_by_id=member.id
            ).update(created_by_id=heir.id)
        after: dict[str, Any] = {**facts(member), "tokensRevoked": len(revoked)}
        if heir is not None:
            after.update(quotesReassignedTo=heir.email, quotesReassigned=moved)
        await audit.record(
            admin, AuditAction.STAFF_DEACTIVATED, "StaffMember", member.id, member.email,
            before=before, after=after, now=now,
        )  # fmt: skip
    await announce_revoked(bus, revoked, staff=[member.id])
    return member


async def team(organization_id: int, include_deactivated: bool) -> list[dict[str, Any]]:
    """The organization's staff as values, OWNERs first, then by name."""
    query = StaffMember.filter(organization_id=organization_id)
    if not include_deactivated:
        query = query.filter(active=True)
    rows = await query.order_by("name", "id").values(
        "id", "organization_id", "name", "email", "role", "active", "invitation_pending",
        "last_active_at",
    )  # fmt: skip
    order = list(StaffRole)
    return sorted(rows, key=lambda row: order.index(StaffRole(row["role"])))
