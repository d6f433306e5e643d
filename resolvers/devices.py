"""Devices: `deviceCatalog`, `lookupImeis`, `recheckImeis`, the IMEI registry, and catalog
imports by staff."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserError, attempt, not_found
from graphql_api.ids import decode_id, from_cursor, page_size
from graphql_api.types.devices import (
    CatalogModelConnection,
    CsvImportReport,
    ImeiLookup,
    ImeiRegistryConnection,
    ImeiRegistryEntry,
    ImeiRegistryEntryEdge,
    LookupImeisPayload,
    RegistryFlag,
    catalog_connection,
    offset_page,
)
from graphql_api.types.enums import DeviceType
from graphql_api.types.payloads import QuotePayload, quote_action
from models.organization import Organization
from models.services import catalog, lookups, registry
from models.services.caller import Caller
from models.services.organizations import BRANDING_ROLES


@strawberry.input(description="IMEIs to look up, for a quote or a trade-in page.")
class LookupImeisInput:
    quote_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A quote the viewer may act on; or, on the public trade-in page, organizationSlug.",
    )
    organization_slug: str | None = strawberry.field(
        default=None, description="The trade-in page's organization, for callers without a quote."
    )
    imeis: list[str] = strawberry.field(
        description="At most 200; spaces and dashes are allowed."
    )


@strawberry.input(description="The quote whose IMEIs to check again.")
class RecheckImeisInput:
    quote_id: strawberry.ID


@strawberry.input(description="A CSV file to import.")
class ImportCsvInput:
    csv: str = strawberry.field(description="The file's text, header first.")


@strawberry.input(description="An IMEI to put in the registry.")
class ImeiRegistryEntryInput:
    imei: str = strawberry.field(description="15 digits; spaces and dashes are allowed.")
    flag: RegistryFlag
    note: str | None = strawberry.field(default=None, description="At most 500 characters.")


@strawberry.input(description="An IMEI to take out of the registry.")
class RemoveImeiRegistryEntryInput:
    imei: str
    flag: RegistryFlag | None = strawberry.field(
        default=None, description="Null removes the IMEI's entries of every flag."
    )


@strawberry.type(description="What an import did, or why it could not run.")
class ImportPayload:
    report: CsvImportReport | None
    user_errors: list[UserError]


@strawberry.type(description="The registry entry as it now stands.")
class ImeiRegistryEntryPayload:
    entry: ImeiRegistryEntry | None
    user_errors: list[UserError]


@strawberry.type(description="How many registry entries were removed.")
class RemoveImeiRegistryEntryPayload:
    removed: int = strawberry.field(description="Entries removed (one per flag).")
    user_errors: list[UserError]


async def _catalog_organization(info: Info, slug: str | None) -> int | None:
    caller = info.context.caller
    if caller.organization_id is not None:
        return caller.organization_id
    if slug:
        row = await Organization.filter(slug=slug.strip()[:64]).only("id").first()
        return None if row is None else row.id
    return None


async def _staff_import(caller: Caller, csv: str) -> catalog.ImportReport:
    caller.require_staff(BRANDING_ROLES)
    return await catalog.import_catalog(csv, caller.organization_id)


async def _import_registry(caller: Caller, csv: str) -> catalog.ImportReport:
    caller.require_staff(registry.REGISTRY_ROLES)
    assert caller.organization_id is not None
    return await registry.import_registry(caller.organization_id, csv)


async def _imported(run: Awaitable[catalog.ImportReport]) -> ImportPayload:
    result = await attempt(run)
    if isinstance(result, list):
        return ImportPayload(report=None, user_errors=result)
    return ImportPayload(report=CsvImportReport.of(result), user_errors=[])


@strawberry.type
class DeviceQueries:
    @strawberry.field(description="Brands, models, storages and colours for the manual entry form.")
    async def device_catalog(
        self,
        info: Info,
        type: DeviceType | None = None,
        brand: str | None = None,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
        organization_slug: Annotated[
            str | None,
            strawberry.argument(
                description="For anonymous callers: the organization whose catalog to list (a token's own organization otherwise)."
            ),
        ] = None,
    ) -> CatalogModelConnection:
        size = page_size(first)
        offset = from_cursor(after) or 0
        organization_id = await _catalog_organization(info, organization_slug)
        devices, has_next, total = await catalog.catalog_page(
            organization_id,
            device_type=type,
            brand=brand,
            search=search,
            offset=offset,
            first=size,
        )
        return catalog_connection(devices, offset, has_next, total, after)

    @strawberry.field(description="Staff: the organization's registry of flagged IMEIs.")
    async def imei_registry(
        self, info: Info, imei: str | None = None, first: int | None = None, after: str | None = None
    ) -> ImeiRegistryConnection:
        size = page_size(first)
        offset = from_cursor(after) or 0
        result = await attempt(registry.list_entries(info.context.caller, imei, offset, size))
        assert not isinstance(result, list)
        rows, has_next, total = result
        edges, page_info = offset_page(
            ImeiRegistryEntryEdge, [ImeiRegistryEntry.of(row) for row in rows], offset, has_next, after
        )
        return ImeiRegistryConnection(edges=edges, page_info=page_info, total_count=total)


@strawberry.type
class DeviceMutations:
    @strawberry.mutation(
        description="Look devices up by IMEI: validity, model, and (for staff) blacklist and lock flags. Counts against the organization's per-quote limit."
    )
    async def lookup_imeis(self, info: Info, input: LookupImeisInput) -> LookupImeisPayload:
        quote_id = None
        if input.quote_id is not None:
            quote_id = decode_id(input.quote_id, "Quote")
            if quote_id is None:
                return LookupImeisPayload(
                    results=[], remaining_lookups=None, user_errors=not_found(["input", "quoteId"])
                )
        ctx = info.context
        result = await attempt(
            lookups.lookup_imeis(
                ctx.deps, ctx.caller, input.imeis, quote_id, input.organization_slug
            )
        )
        if isinstance(result, list):
            return LookupImeisPayload(results=[], remaining_lookups=None, user_errors=result)
        return LookupImeisPayload(
            results=[ImeiLookup.of(r, result.show_flags) for r in result.results],
            remaining_lookups=result.remaining,
            user_errors=[],
        )

    @strawberry.mutation(
        description="Staff: check every IMEI of the quote again now, the external provider included."
    )
    async def recheck_imeis(self, info: Info, input: RecheckImeisInput) -> QuotePayload:
        ctx = info.context
        return await quote_action(
            info,
            input.quote_id,
            lambda quote_id: lookups.recheck_quote(ctx.deps, ctx.caller, quote_id),
        )

    @strawberry.mutation(
        description="Staff (OWNER, MANAGER): add or update the organization's own catalog models from CSV (columns type,brand,model,storages,colors,tacs)."
    )
    async def import_device_catalog(self, info: Info, input: ImportCsvInput) -> ImportPayload:
        return await _imported(_staff_import(info.context.caller, input.csv))

    @strawberry.mutation(
        description="Staff: add IMEIs to the organization's registry from CSV (columns imei,flag,note)."
    )
    async def import_imei_registry(self, info: Info, input: ImportCsvInput) -> ImportPayload:
        return await _imported(_import_registry(info.context.caller, input.csv))

    @strawberry.mutation(description="Staff: put an IMEI in the registry (or change its note).")
    async def add_imei_registry_entry(
        self, info: Info, input: ImeiRegistryEntryInput
    ) -> ImeiRegistryEntryPayload:
        result = await attempt(
            registry.add_entry(info.context.caller, input.imei, input.flag, input.note)
        )
        if isinstance(result, list):
            return ImeiRegistryEntryPayload(entry=None, user_errors=result)
        return ImeiRegistryEntryPayload(entry=ImeiRegistryEntry.of(result), user_errors=[])

    @strawberry.mutation(description="Staff: take an IMEI out of the registry.")
    async def remove_imei_registry_entry(
        self, info: Info, input: RemoveImeiRegistryEntryInput
    ) -> RemoveImeiRegistryEntryPayload:
        result = await attempt(registry.remove_entry(info.context.caller, input.imei, input.flag))
        if isinstance(result, list):
            return RemoveImeiRegistryEntryPayload(removed=0, user_errors=result)
        return RemoveImeiRegistryEntryPayload(removed=result, user_errors=[])



