"""The receiving bench: units expected at conversion, scanned in by IMEI or serial (with the
IMEI checks re-run), graded, and counted in stock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.functions import Count

from models.buy_order import BuyOrder, BuyOrderLine
from models.enums import MessageKind, UnitGrade, UnitStatus
from models.errors import DomainError, ErrorCode
from models.inventory import InventoryUnit
from models.negotiation import StaffRole
from models.quote import DeviceUnit, Quote
from models.services.caller import Caller, Deps
from models.services.imei_checks import check_imeis, normalize
from models.services.journal import Pending, record, unit_of_work
from models.services.mailing import email_customer

"Who works the bench: TECHNICIAN and up."
BENCH_ROLES = frozenset({StaffRole.OWNER, StaffRole.MANAGER, StaffRole.TECHNICIAN})
NEAR_MATCHES = 5
NOTES_MAX = 2000


async def expect_units(order: BuyOrder) -> list[InventoryUnit]:
    """One EXPECTED unit per device of the order (inside the conversion's transaction), with
    the IMEI or serial the customer gave for it."""
    lines = await BuyOrderLine.filter(buy_order_id=order.id).order_by("position")
    known = await DeviceUnit.filter(line_id__in=[line.quote_line_id for line in lines]).order_by(
        "line_id", "position"
    )
    by_line: dict[int, list[DeviceUnit]] = {}
    for device in known:
        by_line.setdefault(device.line_id, []).append(device)
    units = []
    for line in lines:
        devices = by_line.get(line.quote_line_id, [])
        for index in range(line.quantity):
            device = devices[index] if index < len(devices) else None
            units.append(
                InventoryUnit(
                    organization_id=order.organization_id,
                    buy_order_id=order.id,
                    line_id=line.id,
                    brand=line.brand,
                    model=line.model,
                    storage=line.storage,
                    imei=None if device is None else device.imei,
                    serial=None if device is None or not device.serial else device.serial.upper(),
                    price=line.unit_price,
                    created_at=order.created_at,
                )
            )
    await InventoryUnit.bulk_create(units)
    return units


class UnknownCode(DomainError):
    """No expected unit carries this code; `near` lists the expected units it may have meant."""

    def __init__(self, code: str, near: list[InventoryUnit]) -> None:
        hint = " (near matches listed)" if near else ""
        super().__init__(
            ErrorCode.NOT_FOUND, f"no unit expected with code {code}{hint}", ["input", "code"]
        )
        self.near = near


@dataclass(frozen=True)
class Scan:
    unit: InventoryUnit
    "The IMEI flags found at the bench (empty for a serial or a clean IMEI)."
    flags: tuple[str, ...]


def clean_code(raw: str) -> str:
    code = normalize(raw).upper()
    if not code or len(code) > 64:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "scan an IMEI or a serial number", ["input", "code"]
        )
    return code


def one_digit_off(a: str, b: str) -> bool:
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


async def near_matches(organization_id: int, code: str) -> list[InventoryUnit]:
    """Expected units one character off the code; for an IMEI, also those of the same TAC."""
    candidates: list[InventoryUnit] = []
    if code.isdigit() and len(code) == 15:
        candidates = await InventoryUnit.filter(
            organization_id=organization_id, status=UnitStatus.EXPECTED, imei__startswith=code[:8]
        ).limit(50)
        candidates.sort(key=lambda unit: (not one_digit_off(code, unit.imei or ""), unit.id))
    return candidates[:NEAR_MATCHES]


def _refusal(unit: InventoryUnit) -> DomainError | None:
    if unit.status is UnitStatus.RECEIVED:
        when = unit.received_at.isoformat() if unit.received_at else "earlier"
        return DomainError(ErrorCode.INVALID_STATE, f"already received ({when})", ["input", "code"])
    if unit.status is UnitStatus.CANCELED:
        return DomainError(
            ErrorCode.INVALID_STATE,
            "this unit's buy order was declined: set the device aside and return it",
            ["input", "code"],
        )
    if unit.status is UnitStatus.RETURNING:
        return DomainError(
            ErrorCode.INVALID_STATE, "this unit is being returned", ["input", "code"]
        )
    return None


async def scan_intake(deps: Deps, caller: Caller, raw_code: str) -> Scan:
    """Receive the expected unit with this IMEI or serial: RECEIVED, in stock, waiting for a
    grade; the IMEI checks run again (the registry and provider may know more by now)."""
    caller.require_staff(BENCH_ROLES)
    assert caller.organization_id is not None
    code = clean_code(raw_code)
    now = deps.clock()
    async with unit_of_work(deps) as pending:
        matches = (
            await InventoryUnit.filter(organization_id=caller.organization_id, imei=code)
            .select_for_update()
            .order_by("id")
        ) or (
            await InventoryUnit.filter(organization_id=caller.organization_id, serial=code)
            .select_for_update()
            .order_by("id")
        )
        if not matches:
            raise UnknownCode(code, await near_matches(caller.organization_id, code))
        unit = next((u for u in matches if u.status is UnitStatus.EXPECTED), matches[0])
        if (refused := _refusal(unit)) is not None:
            raise refused
        flags: tuple[str, ...] = ()
        if unit.imei:
            order = await BuyOrder.get(id=unit.buy_order_id)
            checked = await check_imeis(
                caller.organization_id,
                [unit.imei],
                now,
                settings=deps.checks,
                exclude_quote_id=order.quote_id,
                call_external=True,
            )
            result = checked[unit.imei]
            unit.check = result.stored()
            flags = tuple(flag.value for flag in result.flags)
        unit.status = UnitStatus.RECEIVED
        unit.received_at = now
        await unit.save()
        await _journal_receipt(deps, caller, unit, flags, now, pending)
    return Scan(unit, flags)


async def _journal_receipt(
    deps: Deps, caller: Caller, unit: InventoryUnit, flags: tuple[str, ...], now: datetime, pending: Pending
) -> None:
    """The receipt in the quote's thread and chain (the unit, never its IMEI), and an email."""
    order = await BuyOrder.get(id=unit.buy_order_id)
    line = await BuyOrderLine.get(id=unit.line_id)
    quote = await Quote.filter(id=order.quote_id).select_for_update().get()
    await record(
        quote,
        pending,
        kind=MessageKind.UNIT_RECEIVED,
        by=caller,
        body=None,
        now=now,
        status_from=quote.status,
        extra={"unitReceived": {"unitId": unit.id, "lineId": line.quote_line_id, "flags": list(flags)}},
    )
    await email_customer(
        deps,
        quote,
        "unit_received",
        now,
        buy_order_number=order.number,
        device=f"{unit.brand} {unit.model}",
    )


async def lock_unit(
    caller: Caller, unit_id: int, roles: frozenset[StaffRole] = BENCH_ROLES
) -> InventoryUnit:
    caller.require_staff(roles)
    unit = await InventoryUnit.filter(id=unit_id).select_for_update().first()
    if unit is None or unit.organization_id != caller.organization_id:
        raise DomainError(ErrorCode.NOT_FOUND, "no such unit", ["input", "unitId"])
    return unit


async def grade_unit(
    deps: Deps, caller: Caller, unit_id: int, grade: UnitGrade, notes: str | None
) -> InventoryUnit:
    cleaned = (notes or "").strip() or None
    if cleaned is not None and len(cleaned) > NOTES_MAX:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"at most {NOTES_MAX} characters", ["input", "notes"]
        )
    async with unit_of_work(deps):
        unit = await lock_unit(caller, unit_id)
        if unit.status is not UnitStatus.RECEIVED:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"only a received unit is graded (this one is {unit.status.value})",
                ["input", "unitId"],
            )
        unit.grade = grade
        unit.notes = cleaned
        unit.graded_at = deps.clock()
        await unit.save()
    return unit


async def stock(organization_id: int) -> list[dict[str, Any]]:
    """Received units in stock, counted by model, storage and grade (null: not graded yet)."""
    return await (
        InventoryUnit.filter(organization_id=organization_id, status=UnitStatus.RECEIVED)
        .annotate(count=Count("id"))
        .group_by("brand", "model", "storage", "grade")
        .order_by("brand", "model", "storage", "grade")
        .values("brand", "model", "storage", "grade", "count")
    )
