"""Bearer tokens: who is asking. Prefixes name the kind (tqs_ staff, tql_ quote link,
tqp_ portal, tqk_ partner); stored tokens are kept only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from models.negotiation import QuoteStatus, StaffRole
from models.organization import AccessToken, StaffMember, TokenKind
from models.quote import Quote
from models.services.caller import Caller
from models.services.links import link_matches, parse_link_token

STAFF_PREFIX = "tqs_"
PORTAL_PREFIX = "tqp_"
PARTNER_PREFIX = "tqk_"
PREFIXES = {TokenKind.STAFF: STAFF_PREFIX, TokenKind.PORTAL: PORTAL_PREFIX, TokenKind.PARTNER: PARTNER_PREFIX}


class ViewerKind(StrEnum):
    ANONYMOUS = "ANONYMOUS"
    STAFF = "STAFF"
    CUSTOMER_LINK = "CUSTOMER_LINK"
    CUSTOMER_PORTAL = "CUSTOMER_PORTAL"
    PARTNER = "PARTNER"


class BadToken(Exception):
    """The Authorization header names no valid token."""


@dataclass(frozen=True)
class Viewer:
    kind: ViewerKind = ViewerKind.ANONYMOUS
    organization_id: int | None = None
    staff_id: int | None = None
    staff_name: str | None = None
    role: StaffRole | None = None
    quote_id: int | None = None
    customer_email: str | None = None

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


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(
    kind: TokenKind,
    organization_id: int,
    *,
    staff_id: int | None = None,
    customer_email: str | None = None,
    label: str | None = None,
    ttl: timedelta | None = None,
) -> tuple[str, AccessToken]:
    """A new token with 256 random bits; only its hash is stored."""
    token = PREFIXES[kind] + secrets.token_urlsafe(32)
    row = await AccessToken.create(
        kind=kind,
        token_hash=hash_token(token),
        organization_id=organization_id,
        staff_id=staff_id,
        customer_email=customer_email,
        label=label,
        expires_at=datetime.now(UTC) + ttl if ttl else None,
    )
    return token, row


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header; None when there is no header."""
    if header is None or not header.strip():
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise BadToken("use Authorization: Bearer <token>")
    return token.strip()


async def resolve_viewer(header: str | None, secret_key: str) -> Viewer:
    token = bearer(header)
    if token is None:
        return ANONYMOUS
    if token.startswith("tql_"):
        return await _link_viewer(token, secret_key)
    if token.startswith((STAFF_PREFIX, PORTAL_PREFIX, PARTNER_PREFIX)):
        return await _stored_viewer(token)
    raise BadToken("unknown token")


async def _link_viewer(token: str, secret_key: str) -> Viewer:
    parsed = parse_link_token(token)
    if parsed is None:
        raise BadToken("malformed link token")
    quote_id, mac = parsed
    quote = await Quote.filter(id=quote_id).only(
        "id", "organization_id", "link_salt", "link_revoked", "contact_email", "status"
    ).first()
    if (
        quote is None
        or quote.link_revoked
        or quote.status is QuoteStatus.DRAFT
        or not link_matches(secret_key, quote.id, quote.link_salt, mac)
    ):
        raise BadToken("this link is not valid")
    return Viewer(
        kind=ViewerKind.CUSTOMER_LINK,
        organization_id=quote.organization_id,
        quote_id=quote.id,
        customer_email=quote.contact_email,
    )


async def _stored_viewer(token: str) -> Viewer:
    row = await AccessToken.get_or_none(token_hash=hash_token(token))
    now = datetime.now(UTC)
    if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at <= now):
        raise BadToken("this token is not valid")
    if row.kind is TokenKind.STAFF:
        staff = await StaffMember.get_or_none(id=row.staff_id, active=True)
        if staff is None:
            raise BadToken("this token is not valid")
        return Viewer(
            kind=ViewerKind.STAFF,
            organization_id=staff.organization_id,
            staff_id=staff.id,
            staff_name=staff.name,
            role=staff.role,
        )
    if row.kind is TokenKind.PORTAL:
        return Viewer(
            kind=ViewerKind.CUSTOMER_PORTAL,
            organization_id=row.organization_id,
            customer_email=row.customer_email,
        )
    return Viewer(kind=ViewerKind.PARTNER, organization_id=row.organization_id)
