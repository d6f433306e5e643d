"""The customer portal's sign-in: a one-time code by email, traded for a portal session.

Asking for a code does the same work for every well-formed address (a code is stored and
emailed whether or not the address has quotes), so neither the answer nor its timing says
whether the organization knows the email. Codes live a few minutes, serve once, are replaced
by a newer one, and burn after a few wrong attempts; each address may ask only a few times in
a window."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from models import validation as v
from models.errors import DomainError, ErrorCode
from models.organization import Organization
from models.outbox import enqueue_email
from models.portal import PortalCode
from models.services.caller import Deps
from models.services.journal import unit_of_work

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
CODES_PER_WINDOW = 5
WINDOW = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=24)


@dataclass(frozen=True)
class PortalSession:
    """Whom a redeemed code signs in: one email within one organization."""

    organization_id: int
    email: str


def _code_hash(secret_key: str, organization_id: int, email: str, code: str) -> str:
    message = f"{organization_id}:{email}:{code}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def _address(email: str) -> str:
    return v.email(email, ["input", "email"]).lower()


def portal_url(deps: Deps, organization_slug: str) -> str:
    """The organization's portal page, where a customer signs in by email code."""
    return f"{deps.public_url.rstrip('/')}/portal/{organization_slug}"


async def _organization(slug: str) -> Organization:
    slug = slug.strip().lower()
    organization = await Organization.get_or_none(slug=slug) if len(slug) <= 64 else None
    if organization is None:  # no slug is longer than 64 characters
        raise DomainError(ErrorCode.NOT_FOUND, "no such organization", ["input", "organizationSlug"])
    return organization


async def request_code(deps: Deps, organization_slug: str, email: str) -> None:
    """Email a fresh code to `email`; earlier codes of the address stop working."""
    now = deps.clock()
    address = _address(email)
    organization = await _organization(organization_slug)
    async with unit_of_work(deps):
        recent = await PortalCode.filter(
            organization_id=organization.id, email=address, created_at__gt=now - WINDOW
        ).count()
        if recent >= CODES_PER_WINDOW:
            raise DomainError(
                ErrorCode.LIMIT_EXCEEDED,
                "too many codes asked for this address; try again in a few minutes",
                ["input", "email"],
            )
        await PortalCode.filter(
            organization_id=organization.id, email=address, closed_at=None
        ).update(closed_at=now)
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        await PortalCode.create(
            organization_id=organization.id,
            email=address,
            code_hash=_code_hash(deps.secret_key, organization.id, address, code),
            created_at=now,
            expires_at=now + CODE_TTL,
        )
        await enqueue_email(
            template="portal_code",
            to_address=email.strip(),
            organization_id=organization.id,
            context={
                "organization_name": organization.name,
                "code": code,
                "expires_minutes": int(CODE_TTL.total_seconds() // 60),
                "link_url": portal_url(deps, organization.slug),
            },
            now=now,
        )


async def redeem_code(deps: Deps, organization_slug: str, email: str, code: str) -> PortalSession:
    """The session a right code opens; a wrong one counts against the code, which burns after
    MAX_ATTEMPTS. A failure commits its count before it is reported."""
    now = deps.clock()
    address = _address(email)
    typed = "".join(ch for ch in code if ch.isdigit())
    organization = await _organization(organization_slug)
    failure: DomainError | None = None
    async with unit_of_work(deps):
        row = (
            await PortalCode.filter(organization_id=organization.id, email=address, closed_at=None)
            .order_by("-created_at")
            .select_for_update()
            .first()
        )
        expected = _code_hash(deps.secret_key, organization.id, address, typed)
        if row is None:
            failure = DomainError(
                ErrorCode.INVALID_INPUT, "this code is not valid: ask for a new one", ["input", "code"]
            )
        elif now >= row.expires_at:
            row.closed_at = now
            await row.save(update_fields=["closed_at"])
            failure = DomainError(
                ErrorCode.EXPIRED, "this code has expired: ask for a new one", ["input", "code"]
            )
        elif not hmac.compare_digest(expected, row.code_hash):
            row.attempts += 1
            if row.attempts >= MAX_ATTEMPTS:
                row.closed_at = now
                failure = DomainError(
                    ErrorCode.LIMIT_EXCEEDED,
                    "too many wrong attempts: ask for a new code",
                    ["input", "code"],
                )
            else:
                failure = DomainError(
                    ErrorCode.INVALID_INPUT,
                    f"wrong code ({MAX_ATTEMPTS - row.attempts} attempts left)",
                    ["input", "code"],
                )
            await row.save(update_fields=["attempts", "closed_at"])
        else:
            row.closed_at = now
            await row.save(update_fields=["closed_at"])
    if failure is not None:
        raise failure
    return PortalSession(organization.id, address)
