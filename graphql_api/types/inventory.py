"""Devices at the receiving bench, stock, and returns as GraphQL sees them."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_api.ids import to_global_id
from graphql_api.loaders_after import ReturnRecord, UnitRecord
from graphql_api.types.common import Money, Node, PageInfo, money
from graphql_api.types.enums import ImeiFlag, UnitGrade, UnitStatus
from models.enums import ImeiFlag as Flag


@strawberry.type(
    description="A device going back to the customer, on a label the merchant pays for."
)
class ReturnShipment(Node):
    id: strawberry.ID
    carrier: str = strawberry.field(description="Who carries it.")
    tracking_number: str = strawberry.field(description="The carrier's tracking number.")
    label_url: str | None = strawberry.field(
        description="The label to print, when the carrier service gave one."
    )
    reason: str = strawberry.field(
        description="DECLINED or LAPSED: the customer's answer to a revised offer."
    )
    created_at: datetime = strawberry.field(description="When the return was created.")

    @classmethod
    def from_record(cls, r: ReturnRecord) -> ReturnShipment:
        return cls(
            id=strawberry.ID(to_global_id("ReturnShipment", r.id)),
            carrier=r.carrier,
            tracking_number=r.tracking_number,
            label_url=r.label_url,
            reason=r.reason,
            created_at=r.created_at,
        )


@strawberry.type(
    description="Staff: one physical device of a buy order, expected, received, graded or returned."
)
class InventoryUnit(Node):
    id: strawberry.ID
    brand: str = strawberry.field(description="As bought.")
    model: str = strawberry.field(description="As bought.")
    storage: str | None = strawberry.field(description="As bought.")
    imei: str | None = strawberry.field(description="The IMEI the customer gave, when any.")
    serial: str | None = strawberry.field(
        description="The serial number the customer gave, when any."
    )
    status: UnitStatus = strawberry.field(description="Where the device is.")
    price: Money = strawberry.field(description="What the merchant pays for it now.")
    grade: UnitGrade | None = strawberry.field(description="The bench's grade; null until graded.")
    notes: str | None = strawberry.field(description="The bench's notes.")
    flags: list[ImeiFlag] = strawberry.field(
        description="What the IMEI checks re-run at the bench found."
    )
    received_at: datetime | None = strawberry.field(description="When it was scanned in.")
    graded_at: datetime | None = strawberry.field(description="When it was graded.")

    @classmethod
    def from_record(cls, r: UnitRecord, currency_code: str) -> InventoryUnit:
        price = money(r.price, currency_code)
        assert price is not None
        flags = [Flag(f) for f in (r.check or {}).get("flags", [])]
        return cls(
            id=strawberry.ID(to_global_id("InventoryUnit", r.id)),
            brand=r.brand,
            model=r.model,
            storage=r.storage,
            imei=r.imei,
            serial=r.serial,
            status=r.status,
            price=price,
            grade=r.grade,
            notes=r.notes,
            flags=flags,  # type: ignore[arg-type]
            received_at=r.received_at,
            graded_at=r.graded_at,
        )


@strawberry.type(description="An edge of a unit connection.")
class InventoryUnitEdge:
    cursor: str = strawberry.field(description="Opaque; pass as `after`.")
    node: InventoryUnit = strawberry.field(description="The unit.")


@strawberry.type(description="A page of units.")
class InventoryUnitConnection:
    edges: list[InventoryUnitEdge] = strawberry.field(description="The units of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page is.")
    total_count: int = strawberry.field(description="Units matching the filter.")


@strawberry.type(
    description="How many received devices are in stock of one model, storage and grade."
)
class StockLevel:
    brand: str = strawberry.field(description="The brand.")
    model: str = strawberry.field(description="The model.")
    storage: str | None = strawberry.field(description="The storage, when known.")
    grade: UnitGrade | None = strawberry.field(description="Null: received, not graded yet.")
    count: int = strawberry.field(description="Devices in stock.")
