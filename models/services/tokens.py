"""Bearer tokens at rest: made with 256 random bits, stored only as a SHA-256 hash, and the
personal access tokens staff create for scripts and GraphiQL."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from models import validation as v
from models.audit import AuditAction
from models.errors import DomainError, ErrorCode
from models.organization import AccessToken, TokenKind, TokenPurpose
from models.roles import ADMIN_ROLES
from models.services import audit
from models.services.audit import Admin
from models.services.caller import Publisher

log = logging.getLogger(__name__)

PREFIXES = {TokenKind.STAFF: "tqs_", TokenKind.PORTAL: "tqp_", TokenKind.PARTNER: "tqk_"}
# Published after a change to who may do what commits (`announce_revoked`): every replica evicts
# it from its cache of viewers and closes the WebSocket connections that were opened with what
# stopped.
REVOKED_TOPIC = "access:revoked"
"Token ids per `access:revoked` event (a PostgreSQL notification holds under 8,000 bytes)."
TOKENS_PER_EVENT = 500
HINT_LENGTH = 8
MAX_LIFETIME = timedelta(days=366)
MAX_PERSONAL_TOKENS = 50


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_secret(kind: TokenKind) -> str:
    return PREFIXES[kind] + secrets.token_urlsafe(32)


async def create_token(
    kind: TokenKind,
    organization_id: int,
    *,
    staff_id: int | None = None,
    customer_email: str | None = None,
    label: str | None = None,
    purpose: TokenPurpose | None = None,
    expires_at: datetime | None = None,
) -> tuple[str, AccessToken]:
    """A new token; only its hash (and its first characters, to recognise it) are stored."""
    token = new_secret(kind)
    row = await AccessToken.create(
        kind=kind,
        token_hash=hash_token(token),
        organization_id=organization_id,
        staff_id=staff_id,
        customer_email=customer_email,
        label=label,
        purpose=purpose,
        hint=token[:HINT_LENGTH],
        expires_at=expires_at,
    )
    return token, row


def token_facts(row: AccessToken) -> dict[str, object]:
    return {
        "name": row.label,
        "hint": row.hint,
        "purpose": row.purpose.value if row.purpose else None,
        "expiresAt": row.expires_at.isoformat() if row.expires_at else None,
    }


async def create_access_token(
    admin: Admin, name: str, expires_at: datetime | None, now: datetime, for_staff_id: int | None = None
) -> tuple[str, AccessToken]:
    """A named personal access token of the caller (or, for the operator, of `for_staff_id`),
    its secret returned once."""
    owner = for_staff_id if for_staff_id is not None else admin.staff_id
    assert owner is not None
    clean = v.text(name, ["input", "name"], limit=v.MAX_SHORT, required=True)
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise DomainError(ErrorCode.INVALID_INPUT, "give a time zone, e.g. Z", ["input", "expiresAt"])
        if expires_at <= now + timedelta(minutes=1):
            raise DomainError(ErrorCode.INVALID_INPUT, "an expiry in the future", ["input", "expiresAt"])
        if expires_at > now + MAX_LIFETIME:
            raise DomainError(
                ErrorCode.INVALID_INPUT, "a token lives at most 366 days", ["input", "expiresAt"]
            )
    async with in_transaction():
        live = await AccessToken.filter(
            staff_id=owner, purpose=TokenPurpose.PERSONAL, revoked_at=None
        ).count()
        if live >= MAX_PERSONAL_TOKENS:
            raise DomainError(
                ErrorCode.LIMIT_EXCEEDED,
                f"at most {MAX_PERSONAL_TOKENS} access tokens: revoke one first",
                ["input", "name"],
            )
        secret, row = await create_token(
            TokenKind.STAFF,
            admin.organization_id,
            staff_id=owner,
            label=clean,
            purpose=TokenPurpose.PERSONAL,
            expires_at=expires_at,
        )
        await audit.record(
            admin, AuditAction.ACCESS_TOKEN_CREATED, "AccessToken", row.id, clean,
            before=None, after=token_facts(row), now=now,
        )  # fmt: skip
    return secret, row


async def personal_tokens(staff_id: int) -> list[AccessToken]:
    """The member's personal access tokens that are not revoked, newest first."""
    return await AccessToken.filter(
        staff_id=staff_id, purpose=TokenPurpose.PERSONAL, revoked_at=None
    ).order_by("-id")


async def announce_revoked(
    bus: Publisher,
    token_ids: Sequence[int],
    quote_links: Sequence[int] = (),
    *,
    staff: Sequence[int] = (),
    organizations: Sequence[int] = (),
) -> None:
    """Tell every replica (after commit) what changed who may do what: tokens that stopped,
    staff members whose role, name or standing changed, quotes whose link changed,
    organizations whose link lifetime changed. Each drops them from its cache of viewers and
    closes the sockets opened with what stopped. Many tokens go out in several events (an event
    must stay small)."""
    if not (token_ids or quote_links or staff or organizations):
        return
    ids = list(token_ids)
    for start in range(0, max(len(ids), 1), TOKENS_PER_EVENT):
        payload = {
            "tokens": ids[start : start + TOKENS_PER_EVENT],
            "quoteLinks": list(quote_links) if start == 0 else [],
            "staff": list(staff) if start == 0 else [],
            "organizations": list(organizations) if start == 0 else [],
        }
        try:
            await bus.publish(REVOKED_TOPIC, payload)
        except Exception:  # the change is committed whatever happens here
            log.exception("announcing revoked tokens failed")


async def revoke_access_token(bus: Publisher, admin: Admin, token_id: int, now: datetime) -> AccessToken:
    """Revoke one of the caller's own tokens, or (OWNER, MANAGER) any staff token of the
    organization. It stops at once on every replica (announced after commit)."""
    async with in_transaction():
        row = await AccessToken.filter(
            id=token_id, organization_id=admin.organization_id, kind=TokenKind.STAFF
        ).select_for_update().first()
        if row is None or (row.staff_id != admin.staff_id and admin.role not in ADMIN_ROLES):
            raise DomainError(ErrorCode.NOT_FOUND, "no such access token", ["input", "id"])
        await mark_revoked(admin, row, now)
    await announce_revoked(bus, [row.id])
    return row


async def mark_revoked(admin: Admin, row: AccessToken, now: datetime) -> None:
    """Revoke a token the caller locked, with its audit entry (inside the caller's transaction)."""
    if row.revoked_at is not None:
        raise DomainError(ErrorCode.INVALID_STATE, "this token is revoked already", ["input", "id"])
    row.revoked_at = now
    await row.save(update_fields=["revoked_at"])
    await audit.record(
        admin, AuditAction.ACCESS_TOKEN_REVOKED, "AccessToken", row.id, row.label or row.hint,
        before={"revokedAt": None}, after={"revokedAt": now.isoformat(), **token_facts(row)}, now=now,
    )  # fmt: skip


async def revoke_own_token(bus: Publisher, token_id: int, now: datetime) -> bool:
    """Sign out: the token that made the request stops working."""
    updated = await AccessToken.filter(id=token_id, revoked_at=None).update(revoked_at=now)
    if updated:
        await announce_revoked(bus, [token_id])
    return bool(updated)
