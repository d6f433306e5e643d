"""The organization's registry of blacklisted and finance-locked IMEIs: imported from CSV and
edited by staff."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from models import csv_rows
from models import validation as v
from models.errors import DomainError, ErrorCode
from models.imei_checks import RegistryEntry, RegistryFlag
from models.negotiation import StaffRole
from models.services.caller import Caller
from models.services.catalog import ImportReport
from models.services.journal import utcnow
from models.services.upserts import merge_rows

REGISTRY_ROLES = frozenset({StaffRole.OWNER, StaffRole.MANAGER, StaffRole.SALES_REP})


async def import_registry(organization_id: int, text: str) -> ImportReport:
    """Add the file's entries; an entry already there gets the file's note."""
    parsed = csv_rows.registry(text)
    report = ImportReport(refused=list(parsed.refused))
    rows = [row for _, row in parsed.rows]
    now = utcnow()
    async with in_transaction():
        existing = {
            (e.imei, e.flag): e
            for e in await RegistryEntry.filter(
                organization_id=organization_id, imei__in=sorted({r.imei for r in rows})
            )
        } if rows else {}
        await merge_rows(
            RegistryEntry,
            existing,
            [((r.imei, r.flag), r) for r in rows],
            build=lambda r: RegistryEntry(
                organization_id=organization_id,
                imei=r.imei,
                flag=r.flag,
                note=r.note,
                created_at=now,
            ),
            values=lambda r: {} if r.note is None else {"note": r.note},
            report=report,
        )
    return report


async def add_entry(caller: Caller, imei: str, flag: RegistryFlag, note: str | None) -> RegistryEntry:
    caller.require_staff(REGISTRY_ROLES)
    compact = v.imei(imei, ["input", "imei"])
    clean_note = v.text(note, ["input", "note"], limit=500)
    assert caller.organization_id is not None
    entry = await RegistryEntry.get_or_none(
        organization_id=caller.organization_id, imei=compact, flag=flag
    )
    if entry is None:
        return await RegistryEntry.create(
            organization_id=caller.organization_id,
            imei=compact,
            flag=flag,
            note=clean_note,
            created_at=utcnow(),
        )
    entry.note = clean_note
    await entry.save(update_fields=["note"])
    return entry


async def remove_entry(caller: Caller, imei: str, flag: RegistryFlag | None) -> int:
    """Delete the IMEI's entries (of one flag, or all); NOT_FOUND when there is none."""
    caller.require_staff(REGISTRY_ROLES)
    compact = v.imei(imei, ["input", "imei"])
    query = RegistryEntry.filter(organization_id=caller.organization_id, imei=compact)
    if flag is not None:
        query = query.filter(flag=flag)
    removed = await query.delete()
    if not removed:
        raise DomainError(ErrorCode.NOT_FOUND, "this IMEI is not in the registry", ["input", "imei"])
    return removed


async def list_entries(
    caller: Caller, imei: str | None, offset: int, first: int
) -> tuple[list[RegistryEntry], bool, int]:
    caller.require_staff()
    query = RegistryEntry.filter(organization_id=caller.organization_id)
    if imei:
        digits = "".join(ch for ch in imei if ch.isdigit())[:15]
        query = query.filter(imei__startswith=digits)
    total = await query.count()
    rows = await query.order_by("imei", "flag").offset(offset).limit(first + 1)
    return rows[:first], len(rows) > first, total
