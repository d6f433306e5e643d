"""The device catalog, IMEI look-ups, the registry, CSV import reports and instant offers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import strawberry

from graphql_api.errors import UserError
from graphql_api.ids import to_cursor, to_global_id
from graphql_api.types.common import Money, PageInfo
from graphql_api.types.enums import DeviceType, ImeiFlag
from graphql_api.types.quote import Device, Quote
from models.imei_checks import RegistryEntry as RegistryRow
from models.imei_checks import RegistryFlag as _RegistryFlag
from models.services.catalog import CatalogDevice, ImportReport
from models.services.imei_checks import CheckResult, device_json

E = TypeVar("E")

RegistryFlag = strawberry.enum(
    _RegistryFlag, name="RegistryFlag", description="Why an IMEI is in the organization's registry."
)


@strawberry.type(description="A device model of the catalog, for the manual entry form.")
class CatalogModel:
    type: DeviceType
    brand: str = strawberry.field(description="The maker, e.g. Apple.")
    model: str = strawberry.field(description="The model's name, e.g. iPhone 15 Pro.")
    storages: list[str] = strawberry.field(description="The storages it comes in, e.g. 128 GB.")
    colors: list[str] = strawberry.field(description="The colours it comes in; may be empty.")

    @classmethod
    def of(cls, device: CatalogDevice) -> CatalogModel:
        return cls(
            type=device.device_type,
            brand=device.brand,
            model=device.model,
            storages=list(device.storages),
            colors=list(device.colors),
        )


@strawberry.type(description="One model of a catalog page, with its cursor.")
class CatalogModelEdge:
    cursor: str
    node: CatalogModel


@strawberry.type(description="A page of the device catalog, by type, brand and model.")
class CatalogModelConnection:
    edges: list[CatalogModelEdge]
    page_info: PageInfo
    total_count: int


def offset_page(
    edge: Callable[..., E], nodes: Sequence[object], offset: int, has_next: bool, after: object | None
) -> tuple[list[E], PageInfo]:
    """Edges of a page that starts after `offset` items, their cursors counting from there."""
    cursors = [to_cursor(offset + i + 1) for i in range(len(nodes))]
    edges = [edge(cursor=cursor, node=node) for cursor, node in zip(cursors, nodes, strict=True)]
    return edges, PageInfo.of(cursors, has_next=has_next, after=after)


def catalog_connection(
    devices: list[CatalogDevice], offset: int, has_next: bool, total: int, after: object | None
) -> CatalogModelConnection:
    edges, page_info = offset_page(
        CatalogModelEdge, [CatalogModel.of(d) for d in devices], offset, has_next, after
    )
    return CatalogModelConnection(edges=edges, page_info=page_info, total_count=total)


def device_of(result: CheckResult) -> Device | None:
    if result.device is None:
        return None
    return Device(**device_json(result.device))


@strawberry.type(description="What one IMEI look-up found.")
class ImeiLookup:
    imei: str = strawberry.field(description="The IMEI as looked up, spaces and dashes removed.")
    valid: bool = strawberry.field(description="15 digits passing the Luhn check.")
    device: Device | None = strawberry.field(
        description="What the type allocation code names; null when the catalog does not know it."
    )
    flags: list[ImeiFlag] | None = strawberry.field(description="Staff only (null for customers).")

    @classmethod
    def of(cls, result: CheckResult, show_flags: bool) -> ImeiLookup:
        return cls(
            imei=result.imei,
            valid=result.valid,
            device=device_of(result),
            flags=list(result.flags) if show_flags else None,
        )


@strawberry.type(description="What lookupImeis found, or why it refused.")
class LookupImeisPayload:
    results: list[ImeiLookup] = strawberry.field(description="One result per IMEI asked, in order.")
    remaining_lookups: int | None = strawberry.field(
        description="How many more look-ups this quote allows; null when unlimited."
    )
    user_errors: list[UserError]


@strawberry.type(description="The new trade-in quote and its link, or why nothing was created.")
class SubmitTradeInPayload:
    quote: Quote | None = strawberry.field(description="The quote as its customer sees it.")
    url: str | None = strawberry.field(
        description="The customer's link to follow the quote; also emailed to them."
    )
    access_token: str | None = strawberry.field(
        description="The bearer token inside that link, for clients that keep it themselves."
    )
    user_errors: list[UserError]


@strawberry.type(description="A CSV row that was not imported, and why.")
class CsvRowRefusal:
    line: int = strawberry.field(description="1-based line of the file; the header is line 1.")
    reason: str = strawberry.field(description="What is wrong with the row, naming the column.")


@strawberry.type(description="What a CSV import did.")
class CsvImportReport:
    added: int = strawberry.field(description="Rows that created an entry.")
    updated: int = strawberry.field(description="Rows that changed an existing entry.")
    unchanged: int = strawberry.field(description="Rows that matched an entry as it was.")
    refused: list[CsvRowRefusal] = strawberry.field(
        description="Rows not imported, by line; the others were imported."
    )

    @classmethod
    def of(cls, report: ImportReport | None) -> CsvImportReport | None:
        if report is None:
            return None
        return cls(
            added=report.added,
            updated=report.updated,
            unchanged=report.unchanged,
            refused=[CsvRowRefusal(line=r.line, reason=r.reason) for r in report.refused],
        )


@strawberry.type(description="An IMEI of the organization's own registry.")
class ImeiRegistryEntry:
    id: strawberry.ID
    imei: str = strawberry.field(description="15 digits.")
    flag: RegistryFlag
    note: str | None = strawberry.field(description="Staff's note, e.g. where the report came from.")

    @classmethod
    def of(cls, row: RegistryRow) -> ImeiRegistryEntry:
        return cls(
            id=strawberry.ID(to_global_id("ImeiRegistryEntry", row.id)),
            imei=row.imei,
            flag=row.flag,
            note=row.note,
        )


@strawberry.type(description="One registry entry of a page, with its cursor.")
class ImeiRegistryEntryEdge:
    cursor: str
    node: ImeiRegistryEntry


@strawberry.type(description="A page of the organization's IMEI registry, by IMEI.")
class ImeiRegistryConnection:
    edges: list[ImeiRegistryEntryEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type(description="One deduction an instant offer applied.")
class AppliedDeduction:
    question: str = strawberry.field(description="The question's key, lowercased.")
    answer: str = strawberry.field(description="The answer, lowercased.")
    kind: str = strawberry.field(description="FIXED (money) or PERCENT (of the base price).")
    amount: str = strawberry.field(description="Money for FIXED, a percentage for PERCENT.")


@strawberry.type(description="What the price grid offers for a described device.")
class InstantQuote:
    offer: Money = strawberry.field(description="Per unit, after the deductions.")
    base_price: Money = strawberry.field(description="The grid's price before deductions.")
    deductions: list[AppliedDeduction] = strawberry.field(
        description="The deductions the answers called for."
    )
