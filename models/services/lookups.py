"""`lookupImeis`: validity and device for everyone; flags for the organization's staff; at
most `Organization.imei_lookups_per_quote` look-ups per quote for its customer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from models import negotiation as rules
from models.enums import CarrierLock
from models.errors import DomainError, ErrorCode
from models.imei_checks import ImeiLookupRecord, PendingCheck
from models.organization import Organization
from models.quote import DeviceUnit, Quote, QuoteLine
from models.services.caller import Caller, Deps
from models.services.imei_checks import CheckResult, check_imeis, normalize
from models.services.pending_checks import queue_pending
from models.services.journal import (
    can_see,
    lock_quote,
    quote_state,
    quote_topic,
    unit_of_work,
    utcnow,
)
from models.services.trade_in import open_organization

MAX_IMEIS = 200


@dataclass(frozen=True)
class LookupOutcome:
    results: list[CheckResult]
    "Whether the flags may be shown: the organization's own staff."
    show_flags: bool
    "How many more look-ups the quote allows; None when unlimited."
    remaining: int | None


async def lookup_imeis(
    deps: Deps,
    caller: Caller,
    imeis: Sequence[str],
    quote_id: int | None = None,
    organization_slug: str | None = None,
) -> LookupOutcome:
    if not imeis:
        raise DomainError(ErrorCode.INVALID_INPUT, "list at least one IMEI", ["input", "imeis"])
    if len(imeis) > MAX_IMEIS:
        raise DomainError(
            ErrorCode.LIMIT_EXCEEDED, f"at most {MAX_IMEIS} IMEIs a call", ["input", "imeis"]
        )
    now = utcnow()
    async with unit_of_work(deps):
        quote = None
        if quote_id is not None:
            quote = await Quote.filter(id=quote_id).select_for_update().first()
            if quote is None or not can_see(caller, quote):
                raise DomainError(ErrorCode.NOT_FOUND, "no such quote", ["input", "quoteId"])
            rules.check(quote_state(quote, []), rules.QuoteAction.LOOKUP_IMEIS, caller.actor, now)
            organization = await Organization.get(id=quote.organization_id)
        elif organization_slug is not None:
            organization = await open_organization(organization_slug, ["input", "organizationSlug"])
        elif caller.is_staff and caller.organization_id is not None:
            rules.permit(rules.QuoteAction.LOOKUP_IMEIS, caller.actor)
            organization = await Organization.get(id=caller.organization_id)
        else:
            raise DomainError(
                ErrorCode.INVALID_INPUT, "give quoteId or organizationSlug", ["input", "quoteId"]
            )
        staff = caller.is_staff and caller.organization_id == organization.id
        limit = organization.imei_lookups_per_quote if quote is not None else None
        remaining = None
        if limit is not None and quote is not None:
            used = await ImeiLookupRecord.filter(quote_id=quote.id, by_staff=False).count()
            remaining = max(limit - used, 0)
            if not staff:
                if len(imeis) > remaining:
                    raise DomainError(
                        ErrorCode.LIMIT_EXCEEDED,
                        f"this quote allows {remaining} more IMEI look-ups",
                        ["input", "imeis"],
                    )
                remaining -= len(imeis)
        await ImeiLookupRecord.bulk_create(
            [
                ImeiLookupRecord(
                    organization_id=organization.id,
                    quote_id=quote.id if quote is not None else None,
                    imei=normalize(raw),
                    by_staff=staff,
                    looked_up_at=now,
                )
                for raw in imeis
            ]
        )
    # counted under the quote's lock; checked after it, the provider's call holding no lock
    checks = await check_imeis(
        organization.id,
        imeis,
        now,
        settings=deps.checks,
        exclude_quote_id=quote.id if quote is not None else None,
        call_external=staff,
    )
    return LookupOutcome([checks[normalize(raw)] for raw in imeis], staff, remaining)


async def recheck_quote(deps: Deps, caller: Caller, quote_id: int) -> Quote:
    """Staff: run every check of the quote's IMEIs again now, the external provider included
    (its cache bypassed). The provider is asked before the quote is locked."""
    caller.require_staff()
    now = utcnow()
    quote = await Quote.get_or_none(id=quote_id)
    if quote is None or not can_see(caller, quote):
        raise DomainError(ErrorCode.NOT_FOUND, "no such quote", ["input", "quoteId"])
    units = await DeviceUnit.filter(quote_id=quote.id, imei__not_isnull=True)
    locks = dict(await QuoteLine.filter(quote_id=quote.id).values_list("id", "carrier_lock"))
    results = await check_imeis(
        quote.organization_id,
        [str(unit.imei) for unit in units],
        now,
        settings=deps.checks,
        exclude_quote_id=quote.id,
        carrier_locked=frozenset(
            str(u.imei) for u in units if locks.get(u.line_id) == CarrierLock.LOCKED
        ),
        call_external=True,
        use_cache=False,
    )
    async with unit_of_work(deps) as pending:
        quote = await lock_quote(caller, quote_id)
        for unit in units:
            unit.check = results[str(unit.imei)].stored()
            await unit.save(update_fields=["check"])
        await PendingCheck.filter(unit_id__in=[unit.id for unit in units]).delete()
        await queue_pending(
            quote.organization_id,
            quote.id,
            [imei for imei, result in results.items() if result.pending],
            now,
        )
        pending.append((quote_topic(quote.id), {"type": "quote", "version": quote.version}))
    return quote
