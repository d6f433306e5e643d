"""Bearer tokens: who is asking. Prefixes name the kind (tqs_ staff, tql_ quote link,
tqp_ portal, tqk_ partner); stored tokens are kept only as SHA-256 hashes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from tortoise.expressions import Q

from graphql_api.gateway.viewer_cache import Resolved, Use, ViewerCache
from models.negotiation import FINAL_STATUSES, QuoteStatus, StaffRole
from models.organization import AccessToken, Organization, StaffMember, TokenKind, TokenPurpose
from models.quote import Quote
from models.services.caller import Caller, system_clock
from models.services.links import LINK_PREFIX, link_matches, parse_link_token
from models.services.quote_links import retired_salts
from models.services.signin import session_expiry
from models.services.tokens import PREFIXES, create_token, hash_token

log = logging.getLogger(__name__)

STAFF_PREFIX = PREFIXES[TokenKind.STAFF]
PORTAL_PREFIX = PREFIXES[TokenKind.PORTAL]
PARTNER_PREFIX = PREFIXES[TokenKind.PARTNER]
"Last use of a token (and last activity of its staff member) is written at most this often."
TOUCH_INTERVAL = timedelta(minutes=1)


class ViewerKind(StrEnum):
    ANONYMOUS = "ANONYMOUS"
    STAFF = "STAFF"
    CUSTOMER_LINK = "CUSTOMER_LINK"
    CUSTOMER_PORTAL = "CUSTOMER_PORTAL"
    PARTNER = "PARTNER"


class TokenReason(StrEnum):
    """Why a token was refused, as `extensions.reason`: a page can tell its user what to do."""

    INVALID_TOKEN = "INVALID_TOKEN"
    TOKEN_REVOKED = "TOKEN_REVOKED"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    LINK_REVOKED = "LINK_REVOKED"
    LINK_EXPIRED = "LINK_EXPIRED"


LINK_REVOKED_MESSAGE = (
    "This link no longer works: the merchant replaced or withdrew it. Ask them for a new one."
)
LINK_EXPIRED_MESSAGE = "This link has expired. Ask the merchant to send it again."


class BadToken(Exception):
    """The Authorization header names no valid token."""

    def __init__(self, message: str, reason: TokenReason = TokenReason.INVALID_TOKEN) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Viewer:
    kind: ViewerKind = ViewerKind.ANONYMOUS
    organization_id: int | None = None
    staff_id: int | None = None
    staff_name: str | None = None
    role: StaffRole | None = None
    quote_id: int | None = None
    customer_email: str | None = None
    "The stored token that made the request (staff, portal, partner), for signing out."
    token_id: int | None = None
    "PARTNER: the scopes of its key (models.partners.Scope values)."
    scopes: frozenset[str] = frozenset()

    def caller(self, client_ip: str | None = None, user_agent: str | None = None) -> Caller:
        return Caller(
            organization_id=self.organization_id,
            staff_id=self.staff_id,
            staff_name=self.staff_name,
            role=self.role,
            quote_id=self.quote_id,
            customer_email=self.customer_email,
            client_ip=client_ip,
            user_agent=user_agent,
        )


ANONYMOUS = Viewer()


async def issue_token(
    kind: TokenKind,
    organization_id: int,
    *,
    staff_id: int | None = None,
    customer_email: str | None = None,
    label: str | None = None,
    ttl: timedelta | None = None,
    purpose: TokenPurpose | None = None,
) -> tuple[str, AccessToken]:
    """A new token with 256 random bits; only its hash is stored."""
    return await create_token(
        kind,
        organization_id,
        staff_id=staff_id,
        customer_email=customer_email,
        label=label,
        purpose=purpose,
        expires_at=datetime.now(UTC) + ttl if ttl else None,
    )


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header; None when there is no header."""
    if header is None or not header.strip():
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise BadToken("use Authorization: Bearer <token>")
    return token.strip()


async def resolve_viewer(
    header: str | None,
    secret_key: str,
    cache: ViewerCache | None = None,
    clock: Callable[[], datetime] = system_clock,
) -> Viewer:
    """The viewer the `Authorization` header names. With the process's cache, a token that
    resolved a moment ago costs no statement (`graphql_api.gateway.viewer_cache`); its use is
    still recorded at most once a minute."""
    token = bearer(header)
    if token is None:
        return ANONYMOUS
    if not token.startswith((LINK_PREFIX, STAFF_PREFIX, PORTAL_PREFIX, PARTNER_PREFIX)):
        raise BadToken("unknown token")
    now = clock()
    key = hash_token(token)
    resolved = cache.get(key, now) if cache is not None else None
    if resolved is None:
        generation = cache.generation if cache is not None else 0
        if token.startswith(LINK_PREFIX):
            resolved = await _link_viewer(token, secret_key, now)
        else:
            resolved = await _stored_viewer(key, now)
        if cache is not None:
            cache.put(key, resolved, generation)
    if resolved.use is not None:
        await _touch(resolved, now)
    return resolved.viewer


async def _link_viewer(token: str, secret_key: str, now: datetime) -> Resolved:
    parsed = parse_link_token(token)
    if parsed is None:
        raise BadToken("malformed link token")
    quote_id, mac = parsed
    quote = await Quote.filter(id=quote_id).only(
        "id", "organization_id", "link_salt", "link_revoked", "contact_email", "status", "updated_at"
    ).first()
    if quote is None or quote.status is QuoteStatus.DRAFT:
        raise BadToken("this link is not valid")
    if not link_matches(secret_key, quote.id, quote.link_salt, mac):
        if any(link_matches(secret_key, quote.id, salt, mac) for salt in await retired_salts(quote.id)):
            raise BadToken(LINK_REVOKED_MESSAGE, TokenReason.LINK_REVOKED)
        raise BadToken("this link is not valid")
    if quote.link_revoked:
        raise BadToken(LINK_REVOKED_MESSAGE, TokenReason.LINK_REVOKED)
    expires_at = None
    if quote.status in FINAL_STATUSES:
        rows = await Organization.filter(id=quote.organization_id).values("link_lifetime_days")
        if rows:
            expires_at = quote.updated_at + timedelta(days=int(rows[0]["link_lifetime_days"]))
        if expires_at is not None and expires_at <= now:
            raise BadToken(LINK_EXPIRED_MESSAGE, TokenReason.LINK_EXPIRED)
    viewer = Viewer(
        kind=ViewerKind.CUSTOMER_LINK,
        organization_id=quote.organization_id,
        quote_id=quote.id,
        customer_email=quote.contact_email,
    )
    return Resolved(viewer, expires_at)


async def _stored_viewer(token_hash: str, now: datetime) -> Resolved:
    """One statement: the token joined to its staff member (a partner key reads its owner)."""
    row = await AccessToken.filter(token_hash=token_hash).select_related("staff").first()
    if row is None:
        raise BadToken("this token is not valid")
    if row.revoked_at is not None:
        raise BadToken("this token was revoked", TokenReason.TOKEN_REVOKED)
    if row.expires_at and row.expires_at <= now:
        raise BadToken("this token has expired: sign in again", TokenReason.TOKEN_EXPIRED)
    if row.kind is TokenKind.STAFF:
        staff = row.staff
        if staff is None or not staff.active:
            raise BadToken("this token was revoked", TokenReason.TOKEN_REVOKED)
        viewer = Viewer(
            kind=ViewerKind.STAFF,
            organization_id=staff.organization_id,
            staff_id=staff.id,
            staff_name=staff.name,
            role=staff.role,
            token_id=row.id,
        )
        return Resolved(viewer, row.expires_at, _use(row))
    if row.kind is TokenKind.PORTAL:
        viewer = Viewer(
            kind=ViewerKind.CUSTOMER_PORTAL,
            organization_id=row.organization_id,
            customer_email=row.customer_email,
            token_id=row.id,
        )
        return Resolved(viewer, row.expires_at)
    return await _partner_viewer(row)


async def _partner_viewer(row: AccessToken) -> Resolved:
    """A partner key acts for the owner who created it (named by the key), within its scopes;
    it stops when that owner is deactivated."""
    staff = None
    if row.staff_id is not None:
        staff = await StaffMember.get_or_none(id=row.staff_id, active=True)
        if staff is None:
            raise BadToken("this token was revoked", TokenReason.TOKEN_REVOKED)
    viewer = Viewer(
        kind=ViewerKind.PARTNER,
        organization_id=row.organization_id,
        staff_id=staff.id if staff else None,
        staff_name=row.label if staff else None,
        role=staff.role if staff else None,
        token_id=row.id,
        scopes=frozenset(row.scopes or ()),
    )
    return Resolved(viewer, row.expires_at, _use(row) if staff else None)


def _use(row: AccessToken) -> Use:
    return Use(row.id, row.kind, row.staff_id, row.purpose, row.created_at, row.last_used_at)


async def _touch(resolved: Resolved, now: datetime) -> None:
    """Record the token's last use and its member's last activity, at most once a minute; a
    session's expiry slides forward with use (up to its maximum age). A cached token claims the
    write before making it, so concurrent requests make it once."""
    use = resolved.use
    assert use is not None
    if use.last_used_at is not None and now - use.last_used_at < TOUCH_INTERVAL:
        return
    use.last_used_at = now
    changes: dict[str, object] = {"last_used_at": now}
    expiry = session_expiry(use.created_at, now) if use.purpose is TokenPurpose.SESSION else None
    if expiry is not None:
        changes["expires_at"] = expiry
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_INTERVAL)
    try:
        touched = await AccessToken.filter(stale, id=use.token_id).update(**changes)
        if touched and expiry is not None:
            resolved.expires_at = expiry  # another replica's write may be later: read it then
        if touched and use.kind is TokenKind.STAFF:
            await StaffMember.filter(id=use.staff_id).update(last_active_at=now)
    except Exception:  # bookkeeping must never refuse a valid token
        log.exception("recording the use of token %s failed", use.token_id)
