"""External checks still to come: the units a submission could not get the provider's answer
for, and the background retry that completes them (safe in every replica)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from models.enums import ImeiFlag
from models.imei_checks import PendingCheck
from models.quote import DeviceUnit
from models.services.imei_checks import (
    BUILT_IN,
    CheckSettings,
    ProviderUnavailable,
    call_provider,
    ordered,
)

log = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 3600
CLAIM_SECONDS = 120


async def queue_pending(organization_id: int, quote_id: int, imeis: Iterable[str], now: datetime) -> None:
    """Remember the quote's units whose external check is still to come (two statements)."""
    wanted = sorted(set(imeis))
    if not wanted:
        return
    units = await DeviceUnit.filter(quote_id=quote_id, imei__in=wanted).values_list("id", "imei")
    await PendingCheck.bulk_create(
        [
            PendingCheck(organization_id=organization_id, unit_id=unit_id, imei=imei, next_attempt_at=now)
            for unit_id, imei in units
        ]
    )


def merged(check: dict[str, Any] | None, flags: frozenset[ImeiFlag], source: str, now: datetime) -> dict[str, Any]:
    """A unit's stored check with the external provider's answer folded in."""
    check = dict(check or {})
    known = {ImeiFlag(f) for f in check.get("flags") or []}
    check["flags"] = [flag.value for flag in ordered(known | set(flags))]
    check["sources"] = list(dict.fromkeys([*(check.get("sources") or [BUILT_IN]), source]))
    check["pending"] = False
    check["checkedAt"] = now.isoformat()
    return check


async def retry_pending(settings: CheckSettings, now: datetime, batch: int = 100) -> int:
    """Run the external checks that are due; returns how many units got their answer.
    Safe in every replica: a batch is claimed by moving its next attempt forward first."""
    due = await PendingCheck.filter(next_attempt_at__lte=now).order_by("next_attempt_at").limit(batch)
    if not due:
        return 0
    provider = settings.external
    if provider is None:  # the provider was unconfigured since: nothing more will come
        await _settle([job.unit_id for job in due])
        await PendingCheck.filter(id__in=[job.id for job in due]).delete()
        return 0
    claimed = await PendingCheck.filter(
        id__in=[job.id for job in due], next_attempt_at__lte=now
    ).update(next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
    if not claimed:
        return 0
    done = 0
    by_organization: dict[int, list[PendingCheck]] = {}
    for job in due:
        by_organization.setdefault(job.organization_id, []).append(job)
    for organization_id, jobs in by_organization.items():
        imeis = tuple(dict.fromkeys(job.imei for job in jobs))
        try:
            answered = await call_provider(provider, organization_id, imeis, now)
        except ProviderUnavailable as error:
            await _back_off(jobs, str(error), now)
            continue
        unanswered = [job for job in jobs if job.imei not in answered]
        await _back_off(unanswered, "the provider gave no answer for this IMEI", now)
        finished = [job for job in jobs if job.imei in answered]
        units = {
            unit.id: unit
            for unit in await DeviceUnit.filter(id__in=[job.unit_id for job in finished])
        }
        for job in finished:
            unit = units.get(job.unit_id)
            if unit is not None:
                unit.check = merged(unit.check, answered[job.imei], provider.source, now)
                await unit.save(update_fields=["check"])
                done += 1
        await PendingCheck.filter(id__in=[job.id for job in finished]).delete()
    return done


async def _back_off(jobs: Sequence[PendingCheck], error: str, now: datetime) -> None:
    """Try these again later, waiting twice as long as the last time (up to an hour)."""
    for job in jobs:
        delay = min(RETRY_BASE_SECONDS * 2**job.attempts, RETRY_MAX_SECONDS)
        job.attempts += 1
        job.last_error = error[:500]
        job.next_attempt_at = now + timedelta(seconds=delay)
        await job.save(update_fields=["attempts", "last_error", "next_attempt_at"])


async def _settle(unit_ids: Sequence[int]) -> None:
    """Checks that will get no external answer: no longer pending."""
    for unit in await DeviceUnit.filter(id__in=list(unit_ids)):
        check = dict(unit.check or {})
        check["pending"] = False
        unit.check = check
        await unit.save(update_fields=["check"])
