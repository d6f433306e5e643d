"""The quote, its lines, devices and the history of offers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry

from graphql_api.context import Info
from graphql_api.ids import decode_id, to_cursor, to_global_id
from graphql_api.loaders import ChangeRecord, LineRecord, QuoteRecord, UnitRecord
from graphql_api.signing import signed_url
from graphql_api.types.common import Money, Node, PageInfo, money
from graphql_api.types.enums import (
    CarrierLock,
    DeviceCondition,
    DeviceType,
    ImeiFlag,
    LineAction,
    LineStatus,
    Party,
    QuoteAction,
    QuoteSource,
    QuoteStatus,
)
from graphql_api.types.organization import Organization, load_organization
from models import enums as e
from models import negotiation as rules
from models import validation as v
from models.services.engagement import record_view
from models.services.journal import can_see, quote_state

if TYPE_CHECKING:
    from graphql_api.types.buy_order import Acceptance, BuyOrder
    from graphql_api.types.engagement import EngagementTimeline
    from graphql_api.types.evidence import ChainSeal
    from graphql_api.types.revised_offer import RevisedOffer
    from graphql_api.types.thread import ThreadConnection


@strawberry.type(description="The customer's contact details.")
class Contact:
    name: str
    email: str
    phone: str | None


@strawberry.type(description="Sums over the quote's lines.")
class QuoteTotals:
    line_count: int
    unit_count: int
    asking: Money = strawberry.field(
        description="Sum of asking price × quantity over the lines that have one."
    )
    offered: Money = strawberry.field(
        description="Sum of the merchant's latest offer × quantity over the lines that have one."
    )
    agreed: Money = strawberry.field(
        description="Sum of agreed price × quantity over ACCEPTED lines."
    )


@strawberry.type(description="A device model as listed on a line or in the catalog.")
class Device:
    type: DeviceType
    brand: str
    model: str
    storage: str | None
    color: str | None


@strawberry.type(description="One answer of the condition questionnaire.")
class ConditionAnswer:
    question: str
    answer: str


@strawberry.type(description="The result of checking one IMEI.")
class ImeiCheck:
    imei: str
    valid: bool
    device: Device | None = strawberry.field(
        description="What the type allocation code says the device is."
    )
    flags: list[ImeiFlag] | None = strawberry.field(description="Staff only (null for customers).")
    checked_at: datetime
    sources: list[str] = strawberry.field(
        description="Who checked: `built-in` (registry, duplicates, lock, catalog) and the external provider."
    )
    pending: bool = strawberry.field(
        description="The external provider has not answered yet; the server retries it."
    )


@strawberry.type(description="One physical unit of a line that has an IMEI or serial number.")
class DeviceUnit:
    imei: str | None
    serial: str | None
    check: ImeiCheck | None = strawberry.field(
        description="Staff only (null for customers): the latest check of this IMEI."
    )

    @classmethod
    def from_record(cls, record: UnitRecord, staff: bool) -> DeviceUnit:
        check = None
        if staff and record.check and record.imei:
            data: dict[str, Any] = record.check
            device = data.get("device")
            check = ImeiCheck(
                imei=record.imei,
                valid=bool(data.get("valid")),
                device=Device(**device) if device else None,
                flags=[e.ImeiFlag(flag) for flag in data.get("flags") or []],
                checked_at=datetime.fromisoformat(data["checkedAt"]),
                sources=list(data.get("sources") or []),
                pending=bool(data.get("pending")),
            )
        return cls(imei=record.imei, serial=record.serial, check=check)


@strawberry.type(description="One offer or decision on a line.")
class LineChange:
    by: Party
    action: LineAction
    price: Money | None = strawberry.field(
        description="Per unit: the new price for COUNTER, the agreed price for ACCEPT."
    )
    at: datetime
    line: QuoteLine = strawberry.field(description="The line this offer or decision was on.")
    _record: strawberry.Private[ChangeRecord]

    @classmethod
    def from_record(cls, record: ChangeRecord, currency_code: str, line: QuoteLine) -> LineChange:
        return cls(
            by=record.by,
            action=record.action,
            price=money(record.price, currency_code),
            at=record.at,
            line=line,
            _record=record,
        )


@strawberry.type(
    description="One device model on a quote, with its quantity, condition and prices."
)
class QuoteLine(Node):
    id: strawberry.ID
    position: int = strawberry.field(description="1-based order within the quote.")
    device: Device
    condition: DeviceCondition
    condition_answers: list[ConditionAnswer]
    carrier_lock: CarrierLock
    carrier: str | None
    quantity: int
    asking_price: Money | None = strawberry.field(
        description="The customer's original asking price per unit; null on merchant-written quotes."
    )
    customer_price: Money | None = strawberry.field(
        description="The customer's current price per unit: the asking price or their latest counter."
    )
    merchant_offer: Money | None = strawberry.field(
        description="The merchant's latest offer per unit; null until the merchant makes one."
    )
    agreed_price: Money | None = strawberry.field(
        description="The price per unit both sides agreed; set once ACCEPTED."
    )
    status: LineStatus
    awaiting: Party | None
    units: list[DeviceUnit] = strawberry.field(
        description="One entry a unit that has an IMEI or serial number."
    )
    instant_offer: Money | None = strawberry.field(
        description="The price grid's instant offer per unit, made at submission and never recomputed. Staff always see it (the suggested counter); the customer only when the organization shows instant offers."
    )
    history: list[LineChange] = strawberry.field(
        description="Every offer and decision on this line, oldest first."
    )
    _record: strawberry.Private[LineRecord]
    _currency: strawberry.Private[str]

    @classmethod
    def from_record(
        cls,
        r: LineRecord,
        currency_code: str,
        units: list[DeviceUnit],
        instant_offer: Money | None,
    ) -> QuoteLine:
        """The line without its history: `quote_parts` adds the changes, which point back to it."""
        return cls(
            id=strawberry.ID(to_global_id("QuoteLine", r.id)),
            position=r.position,
            device=Device(
                type=r.device_type, brand=r.brand, model=r.model, storage=r.storage, color=r.color
            ),
            condition=r.condition,
            condition_answers=[ConditionAnswer(**a) for a in r.condition_answers],
            carrier_lock=r.carrier_lock,
            carrier=r.carrier,
            quantity=r.quantity,
            asking_price=money(r.asking_price, currency_code),
            customer_price=money(r.customer_price, currency_code),
            merchant_offer=money(r.merchant_offer, currency_code),
            agreed_price=money(r.agreed_price, currency_code),
            status=r.status,
            awaiting=r.awaiting,
            units=units,
            instant_offer=instant_offer,
            history=[],
            _record=r,
            _currency=currency_code,
        )


@dataclass(frozen=True, slots=True)
class QuoteParts:
    """A quote's lines with their units, instant offers and history, and the changes each
    thread message carried: built once per request from the loaders' records, so that the
    fields below them are plain data (no resolver per line, per unit, per change)."""

    lines: list[QuoteLine]
    by_id: dict[int, QuoteLine]
    changes_by_message: dict[int, list[LineChange]]


async def quote_parts(info: Info, quote_id: int, currency_code: str) -> QuoteParts:
    """The quote's parts, built by the first field that needs them in this request; the other
    fields (of this quote) wait for the same build."""
    memo = info.context.loaders.built
    viewer = info.context.viewer
    # What a viewer may see of them differs (IMEI checks, instant offers), and one event's
    # loaders serve every subscriber that resolves it: the viewer's class is part of the key.
    key = ("quote_parts", quote_id, viewer.staff_id is not None, info.context.caller.is_staff)
    pending = memo.get(key)
    if pending is not None:
        return cast(QuoteParts, await pending)
    future: asyncio.Future[QuoteParts] = asyncio.get_running_loop().create_future()
    memo[key] = future
    try:
        parts = await _build_parts(info, quote_id, currency_code)
    except asyncio.CancelledError:
        memo.pop(key, None)
        future.cancel()
        raise
    except Exception as error:
        memo.pop(key, None)
        future.set_exception(error)
        future.exception()  # retrieved: the waiting fields (if any) raise it themselves
        raise
    future.set_result(parts)
    return parts


async def _build_parts(info: Info, quote_id: int, currency_code: str) -> QuoteParts:
    loaders = info.context.loaders
    lines, units, changes, offers = await asyncio.gather(
        loaders.lines_by_quote.load(quote_id),
        loaders.units_by_quote.load(quote_id),
        loaders.changes_by_quote.load(quote_id),
        loaders.instant_offers_by_quote.load(quote_id),
    )
    staff = info.context.viewer.staff_id is not None
    sees_offers = info.context.caller.is_staff

    def offer_of(line_id: int) -> Money | None:
        offer = offers.get(line_id)
        if offer is None or not (sees_offers or offer.shown_to_customer):
            return None
        return money(offer.amount, currency_code)

    built = [
        QuoteLine.from_record(
            line,
            currency_code,
            [DeviceUnit.from_record(unit, staff) for unit in units.get(line.id, ())],
            offer_of(line.id),
        )
        for line in lines
    ]
    by_id = {line._record.id: line for line in built}
    by_message: dict[int, list[LineChange]] = {}
    for record in changes:
        parent = by_id.get(record.line_id)
        if parent is None:
            continue
        change = LineChange.from_record(record, currency_code, parent)
        parent.history.append(change)
        by_message.setdefault(record.message_id, []).append(change)
    return QuoteParts(built, by_id, by_message)


@strawberry.type(description="A negotiated offer to buy a customer's devices.")
class Quote(Node):
    id: strawberry.ID
    number: str = strawberry.field(
        description="Human-readable and unique within the organization, e.g. Q-000123."
    )
    status: QuoteStatus
    awaiting: Party | None = strawberry.field(
        description="Whose turn it is; null when nobody owes a response."
    )
    source: QuoteSource
    contact: Contact | None = strawberry.field(
        description="Null until known: a REQUESTED quote may have none yet."
    )
    currency_code: str
    version: int = strawberry.field(
        description="Grows with every change. Send it back as expectedVersion to refuse stale writes."
    )
    expires_at: datetime | None
    created_at: datetime
    submitted_at: datetime | None
    updated_at: datetime
    _record: strawberry.Private[QuoteRecord]

    @classmethod
    def from_record(cls, r: QuoteRecord) -> Quote:
        contact = (
            Contact(name=r.contact_name, email=r.contact_email, phone=r.contact_phone)
            if r.contact_name and r.contact_email
            else None
        )
        return cls(
            id=strawberry.ID(to_global_id("Quote", r.id)),
            number=r.number,
            status=r.status,
            awaiting=r.awaiting,
            source=r.source,
            contact=contact,
            currency_code=r.currency_code,
            version=r.version,
            expires_at=r.expires_at,
            created_at=r.created_at,
            submitted_at=r.submitted_at,
            updated_at=r.updated_at,
            _record=r,
        )

    @strawberry.field
    async def organization(self, info: Info) -> Organization:
        organization = await load_organization(info, self._record.organization_id)
        assert organization is not None
        return organization

    @strawberry.field
    async def lines(self, info: Info) -> list[QuoteLine]:
        return (await quote_parts(info, self._record.id, self._record.currency_code)).lines

    @strawberry.field
    async def totals(self, info: Info) -> QuoteTotals:
        lines = await info.context.loaders.lines_by_quote.load(self._record.id)
        currency = self._record.currency_code

        def total(amounts: list[tuple[Decimal | None, int]]) -> Money:
            result = money(v.total(amounts), currency)
            assert result is not None
            return result

        return QuoteTotals(
            line_count=len(lines),
            unit_count=sum(line.quantity for line in lines),
            asking=total([(line.asking_price, line.quantity) for line in lines]),
            offered=total([(line.merchant_offer, line.quantity) for line in lines]),
            agreed=total(
                [
                    (line.agreed_price, line.quantity)
                    for line in lines
                    if line.status is rules.LineStatus.ACCEPTED
                ]
            ),
        )

    @strawberry.field(description="The conversation, oldest first.")
    async def thread(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Annotated[ThreadConnection, strawberry.lazy("graphql_api.types.thread")]:
        from graphql_api.types.thread import load_thread

        return await load_thread(info, self._record, first, after)

    @strawberry.field(
        description="What the current viewer may do now; clients draw their response panel from it."
    )
    async def available_actions(self, info: Info) -> list[QuoteAction]:
        caller = info.context.caller
        if not (caller.is_staff or caller.is_customer):
            return []
        lines = await info.context.loaders.lines_by_quote.load(self._record.id)
        state = quote_state(self._record, lines)
        return rules.available_actions(state, caller.actor, info.context.deps.clock())

    @strawberry.field(
        description="A signed, expiring URL of the quote's branded PDF; every download is recorded."
    )
    async def pdf_url(self, info: Info) -> str | None:
        caller = info.context.caller
        if not (caller.is_staff or caller.is_customer):
            return None
        lines = await info.context.loaders.lines_by_quote.load(self._record.id)
        state = quote_state(self._record, lines)
        if not rules.allowed(
            state, rules.QuoteAction.DOWNLOAD_PDF, caller.actor, info.context.deps.clock()
        ):
            return None
        settings = info.context.settings
        viewer = "staff" if caller.is_staff else "customer"
        return signed_url(
            settings.public_url, settings.secret_key, "quote", self._record.id, viewer
        )

    @strawberry.field(
        description="Staff only (null for customers): views and downloads of this quote."
    )
    async def engagement(
        self, info: Info
    ) -> Annotated[EngagementTimeline, strawberry.lazy("graphql_api.types.engagement")] | None:
        from graphql_api.types.engagement import load_timeline

        if not info.context.caller.is_staff:
            return None
        return await load_timeline(self._record.id)

    @strawberry.field(description="The typed-name e-signature recorded when the customer accepted.")
    async def acceptance(
        self, info: Info
    ) -> Annotated[Acceptance, strawberry.lazy("graphql_api.types.buy_order")] | None:
        from graphql_api.types.buy_order import Acceptance

        record = await info.context.loaders.acceptance_by_quote.load(self._record.id)
        return None if record is None else Acceptance.from_record(record)

    @strawberry.field(
        description="Every acceptance of the quote, oldest first, withdrawn ones included."
    )
    async def acceptances(
        self, info: Info
    ) -> list[Annotated[Acceptance, strawberry.lazy("graphql_api.types.buy_order")]]:
        from graphql_api.types.buy_order import Acceptance

        found = await info.context.loaders.acceptances_by_quote.load(self._record.id)
        return [Acceptance.from_record(record) for record in found]

    @strawberry.field(
        description="The quote's chain head sealed by the server's key; null before its first event."
    )
    def seal(self) -> Annotated[ChainSeal, strawberry.lazy("graphql_api.types.evidence")] | None:
        from graphql_api.types.evidence import ChainSeal

        r = self._record
        if r.event_count == 0:
            return None
        return ChainSeal(
            head_hash=r.last_hash,
            event_count=r.event_count,
            key_id=r.seal_key_id,
            signature=r.seal_signature,
        )

    @strawberry.field(
        description="Revised offers on the devices of its buy order, oldest first, with photos."
    )
    async def revised_offers(
        self, info: Info
    ) -> list[Annotated[RevisedOffer, strawberry.lazy("graphql_api.types.revised_offer")]]:
        from graphql_api.types.revised_offer import revised_offers_of

        return await revised_offers_of(info, self._record.id)

    @strawberry.field
    async def buy_order(
        self, info: Info
    ) -> Annotated[BuyOrder, strawberry.lazy("graphql_api.types.buy_order")] | None:
        from graphql_api.types.buy_order import BuyOrder

        if self._record.status is not QuoteStatus.CONVERTED:
            return None  # only a conversion makes a buy order, and nothing turns it back
        record = await info.context.loaders.buy_order_by_quote.load(self._record.id)
        return None if record is None else BuyOrder.from_record(record)


async def load_quote(info: Info, quote_id: int | None) -> Quote | None:
    """The quote if the viewer may see it; None for missing and forbidden alike."""
    if quote_id is None:
        return None
    record = await info.context.loaders.quote_by_id.load(quote_id)
    if record is None or not can_see(info.context.caller, record):
        return None
    return Quote.from_record(record)


async def load_quote_by_global_id(info: Info, global_id: str) -> Quote | None:
    return await load_quote(info, decode_id(global_id, "Quote"))


async def open_quote(info: Info, quote_id: int | None) -> Quote | None:
    """The quote as a root field opens it: a customer's read is a VIEW on its timeline."""
    quote = await load_quote(info, quote_id)
    caller = info.context.caller
    if quote is not None and caller.is_customer:
        await record_view(
            info.context.deps, caller, quote._record.id, quote._record.organization_id
        )
    return quote


async def open_quote_by_global_id(info: Info, global_id: str) -> Quote | None:
    return await open_quote(info, decode_id(global_id, "Quote"))


@strawberry.type
class QuoteEdge:
    cursor: str
    node: Quote


@strawberry.type(description="A page of quotes, newest first.")
class QuoteConnection:
    edges: list[QuoteEdge]
    page_info: PageInfo
    total_count: int


def quote_connection(
    records: list[QuoteRecord], first: int, total: int, after: int | None
) -> QuoteConnection:
    page = records[:first]
    edges = [QuoteEdge(cursor=to_cursor(r.id), node=Quote.from_record(r)) for r in page]
    return QuoteConnection(
        edges=edges,
        page_info=PageInfo.of(
            [edge.cursor for edge in edges], has_next=len(records) > first, after=after
        ),
        total_count=total,
    )
