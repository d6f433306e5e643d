"""Partner API keys (`tqk_…`): created by an OWNER (or the operator at the command line) with
a set of scopes, printed once, stored hashed, revocable. A key acts for the owner who created
it, limited to its scopes and to trusted documents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tortoise.transactions import in_transaction

from models import validation as v
from models.audit import AuditAction
from models.errors import DomainError, DomainErrors, ErrorCode, Forbidden
from models.negotiation import StaffRole
from models.organization import AccessToken, StaffMember, TokenKind
from models.partners import Scope
from models.services import audit
from models.services.audit import Admin
from models.services.caller import Publisher
from models.services.tokens import announce_revoked, create_token, mark_revoked, token_facts

MAX_API_KEYS = 50


def clean_scopes(scopes: Sequence[str], path: list[str | int]) -> list[str]:
    """The scopes, each a known one, at least one, without repeats (in the order of `Scope`)."""
    known = {scope.value for scope in Scope}
    errors = [
        DomainError(
            ErrorCode.INVALID_INPUT,
            f"unknown scope {scope!r}: use {', '.join(sorted(known))}",
            [*path, index],
        )
        for index, scope in enumerate(scopes)
        if scope not in known
    ]
    if errors:
        raise DomainErrors(errors)
    if not scopes:
        raise DomainError(ErrorCode.INVALID_INPUT, "give at least one scope", path)
    return [scope.value for scope in Scope if scope.value in scopes]


async def _acting_owner(admin: Admin) -> int:
    """The owner a key acts for: the calling OWNER, or (operator) the organization's first."""
    if admin.staff_id is not None:
        if admin.role is not StaffRole.OWNER:
            raise Forbidden("only an OWNER creates API keys")
        return admin.staff_id
    owner = await StaffMember.filter(
        organization_id=admin.organization_id, role=StaffRole.OWNER, active=True
    ).order_by("id").first()
    if owner is None:
        raise DomainError(ErrorCode.INVALID_STATE, "the organization has no active owner")
    return owner.id


async def create_api_key(
    admin: Admin, name: str, scopes: Sequence[str], now: datetime
) -> tuple[str, AccessToken]:
    """A new partner key; its secret is returned once."""
    clean = v.text(name, ["input", "name"], limit=v.MAX_SHORT, required=True)
    granted = clean_scopes(scopes, ["input", "scopes"])
    owner = await _acting_owner(admin)
    async with in_transaction():
        live = await AccessToken.filter(
            organization_id=admin.organization_id, kind=TokenKind.PARTNER, revoked_at=None
        ).count()
        if live >= MAX_API_KEYS:
            raise DomainError(
                ErrorCode.LIMIT_EXCEEDED, f"at most {MAX_API_KEYS} API keys: revoke one first",
                ["input", "name"],
            )  # fmt: skip
        secret, row = await create_token(
            TokenKind.PARTNER, admin.organization_id, staff_id=owner, label=clean
        )
        row.scopes = granted
        await row.save(update_fields=["scopes"])
        await audit.record(
            admin, AuditAction.ACCESS_TOKEN_CREATED, "AccessToken", row.id, clean,
            before=None, after={**token_facts(row), "scopes": granted}, now=now,
        )  # fmt: skip
    return secret, row


async def api_keys(organization_id: int) -> list[AccessToken]:
    """The organization's partner keys that are not revoked, newest first."""
    return await AccessToken.filter(
        organization_id=organization_id, kind=TokenKind.PARTNER, revoked_at=None
    ).order_by("-id")


async def revoke_api_key(bus: Publisher, admin: Admin, key_id: int, now: datetime) -> AccessToken:
    """An OWNER (or the operator) revokes a key: it stops at once on every replica."""
    if admin.staff_id is not None and admin.role is not StaffRole.OWNER:
        raise Forbidden("only an OWNER revokes API keys")
    async with in_transaction():
        row = await AccessToken.filter(
            id=key_id, organization_id=admin.organization_id, kind=TokenKind.PARTNER
        ).select_for_update().first()
        if row is None:
            raise DomainError(ErrorCode.NOT_FOUND, "no such API key", ["input", "id"])
        await mark_revoked(admin, row, now)
    await announce_revoked(bus, [row.id])
    return row
