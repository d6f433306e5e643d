"""Customer links: rotate (the old link stops at once, the new one opens the same quote) and
revoke. The link is an HMAC over the quote and its current link salt, so a new salt is a new
link; the salts a quote had before are kept to tell a replaced link from a forged one."""

from __future__ import annotations

import secrets
from datetime import datetime

from tortoise.transactions import in_transaction

from models import roles
from models.audit import AuditAction
from models.errors import DomainError, ErrorCode, Forbidden
from models.negotiation import QuoteStatus
from models.quote import Quote
from models.services import audit
from models.services.audit import Admin
from models.services.caller import Caller, Deps
from models.services.journal import lock_quote
from models.services.mailing import email_customer
from models.services.tokens import announce_revoked
from models.team import RetiredLink


async def _lock(caller: Caller, admin: Admin, quote_id: int) -> Quote:
    if admin.role not in roles.LINK_ROLES:
        raise Forbidden("your role does not allow this")
    quote = await lock_quote(caller, quote_id)
    if quote.status is QuoteStatus.DRAFT:
        raise DomainError(ErrorCode.INVALID_STATE, "a draft has no customer link yet", ["input", "quoteId"])
    return quote


async def rotate_quote_link(
    deps: Deps, caller: Caller, admin: Admin, quote_id: int, send_email: bool, now: datetime
) -> Quote:
    async with in_transaction():
        quote = await _lock(caller, admin, quote_id)
        await RetiredLink.create(quote_id=quote.id, link_salt=quote.link_salt, retired_at=now)
        was_revoked = quote.link_revoked
        quote.link_salt = secrets.token_hex(16)
        quote.link_revoked = False
        await quote.save(update_fields=["link_salt", "link_revoked"])
        emailed = bool(send_email and quote.contact_email)
        if emailed:
            await email_customer(deps, quote, "quote_link_rotated", now)
        await audit.record(
            admin, AuditAction.QUOTE_LINK_ROTATED, "Quote", quote.id, quote.number,
            before={"revoked": was_revoked}, after={"revoked": False, "emailed": emailed}, now=now,
        )  # fmt: skip
    await announce_revoked(deps.bus, [], [quote.id])
    return quote


async def revoke_quote_link(
    deps: Deps, caller: Caller, admin: Admin, quote_id: int, now: datetime
) -> Quote:
    async with in_transaction():
        quote = await _lock(caller, admin, quote_id)
        if quote.link_revoked:
            raise DomainError(ErrorCode.INVALID_STATE, "the link is revoked already", ["input", "quoteId"])
        quote.link_revoked = True
        await quote.save(update_fields=["link_revoked"])
        await audit.record(
            admin, AuditAction.QUOTE_LINK_REVOKED, "Quote", quote.id, quote.number,
            before={"revoked": False}, after={"revoked": True}, now=now,
        )  # fmt: skip
    await announce_revoked(deps.bus, [], [quote.id])
    return quote


async def retired_salts(quote_id: int) -> list[str]:
    rows = await RetiredLink.filter(quote_id=quote_id).values("link_salt")
    return [str(row["link_salt"]) for row in rows]
