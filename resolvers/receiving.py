"""The receiving bench: scan a device in, grade it, list units and count stock."""

from __future__ import annotations

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserError, attempt, not_found, user_errors
from graphql_api.ids import decode_id, from_cursor, page_size, to_cursor
from graphql_api.loaders import newest_first
from graphql_api.loaders_after import UnitRecord, fresh_unit
from graphql_api.permissions import staff_caller
from graphql_api.types.common import PageInfo
from graphql_api.types.enums import ImeiFlag, UnitGrade, UnitStatus
from graphql_api.types.inventory import (
    InventoryUnit,
    InventoryUnitConnection,
    InventoryUnitEdge,
    StockLevel,
)
from models.buy_order import BuyOrder
from models.inventory import InventoryUnit as UnitRow
from models.services import receiving


async def _unit(unit_id: int) -> InventoryUnit:
    record = await fresh_unit(unit_id)
    order = await BuyOrder.get(id=record.buy_order_id)
    return InventoryUnit.from_record(record, order.currency_code)


@strawberry.type(description="What the scan found.")
class ScanIntakePayload:
    unit: InventoryUnit | None = strawberry.field(description="The unit received; grade it next.")
    flags: list[ImeiFlag] = strawberry.field(
        description="What the IMEI checks re-run now found (e.g. BLACKLISTED)."
    )
    near_matches: list[InventoryUnit] = strawberry.field(
        description="For an unknown code: expected units one digit off, or of the same TAC."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was received, if so.")


@strawberry.input(description="A scanned code.")
class ScanIntakeInput:
    code: str = strawberry.field(description="The IMEI or serial number, as scanned or typed.")


@strawberry.input(description="The bench's grade of a received unit.")
class GradeUnitInput:
    unit_id: strawberry.ID = strawberry.field(description="The unit's ID.")
    grade: UnitGrade = strawberry.field(description="The grade.")
    notes: str | None = strawberry.field(default=None, description="What the bench saw.")


@strawberry.type(description="The graded unit.")
class GradeUnitPayload:
    unit: InventoryUnit | None = strawberry.field(description="The unit after grading.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.type
class ReceivingMutations:
    @strawberry.mutation(
        description="Technician and up: receive the expected unit with this IMEI or serial among open buy "
        "orders; the IMEI checks run again. An unknown code lists near matches."
    )
    async def scan_intake(self, info: Info, input: ScanIntakeInput) -> ScanIntakePayload:
        ctx = info.context

        async def scan_or_unknown() -> receiving.Scan | receiving.UnknownCode:
            try:
                return await receiving.scan_intake(ctx.deps, ctx.caller, input.code)
            except receiving.UnknownCode as unknown:
                return unknown

        scan = await attempt(scan_or_unknown())
        if isinstance(scan, receiving.UnknownCode):
            near = [await _unit(unit.id) for unit in scan.near]
            return ScanIntakePayload(
                unit=None, flags=[], near_matches=near, user_errors=user_errors(scan)
            )
        if isinstance(scan, list):
            return ScanIntakePayload(unit=None, flags=[], near_matches=[], user_errors=scan)
        return ScanIntakePayload(
            unit=await _unit(scan.unit.id),
            flags=[ImeiFlag(flag) for flag in scan.flags],  # type: ignore[misc]
            near_matches=[],
            user_errors=[],
        )

    @strawberry.mutation(description="Technician and up: grade a received unit.")
    async def grade_unit(self, info: Info, input: GradeUnitInput) -> GradeUnitPayload:
        if (pk := decode_id(input.unit_id, "InventoryUnit")) is None:
            return GradeUnitPayload(unit=None, user_errors=not_found(["input", "unitId"]))
        ctx = info.context
        result = await attempt(
            receiving.grade_unit(ctx.deps, ctx.caller, pk, input.grade, input.notes)
        )
        if isinstance(result, list):
            return GradeUnitPayload(unit=None, user_errors=result)
        return GradeUnitPayload(unit=await _unit(pk), user_errors=[])


@strawberry.type
class ReceivingQueries:
    @strawberry.field(description="Staff: received devices in stock, by model, storage and grade.")
    async def stock(self, info: Info) -> list[StockLevel]:
        caller = staff_caller(info)
        assert caller.organization_id is not None
        return [
            StockLevel(
                brand=r["brand"],
                model=r["model"],
                storage=r["storage"],
                grade=r["grade"],
                count=r["count"],
            )
            for r in await receiving.stock(caller.organization_id)
        ]

    @strawberry.field(
        description="Staff: the organization's units, newest first, optionally of one status."
    )
    async def inventory_units(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: UnitStatus | None = None,
    ) -> InventoryUnitConnection:
        caller = staff_caller(info)
        size = page_size(first, default=50)
        after_id = from_cursor(after)
        query = UnitRow.filter(organization_id=caller.organization_id)
        if status is not None:
            query = query.filter(status=status)
        rows, total = await newest_first(query, UnitRecord, size, after_id)
        page = rows[:size]
        orders = {
            o.id: o.currency_code
            for o in await BuyOrder.filter(id__in={r.buy_order_id for r in page})
        }
        edges = [
            InventoryUnitEdge(
                cursor=to_cursor(r.id), node=InventoryUnit.from_record(r, orders[r.buy_order_id])
            )
            for r in page
        ]
        return InventoryUnitConnection(
            edges=edges,
            page_info=PageInfo.of(
                [e.cursor for e in edges], has_next=len(rows) > size, after=after_id
            ),
            total_count=total,
        )
