"""The quote, its lines, devices and the history of offers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

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
    _record: strawberry.Private[ChangeRecord]

    @classmethod
    def from_record(cls, record: ChangeRecord, currency_code: str) -> LineChange:
        return cls(
            by=record.by,
            action=record.action,
            price=money(record.price, currency_code),
            at=record.at,
            _record=record,
        )

    @strawberry.field
    async def line(self, info: Info) -> QuoteLine:
        lines = await info.context.loaders.lines_by_quote.load(self._record.quote_id)
        quote = await info.context.loaders.quote_by_id.load(self._record.quote_id)
        assert quote is not None
        line = next(line for line in lines if line.id == self._record.line_id)
        return QuoteLine.from_record(line, quote.currency_code)


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
    _record: strawberry.Private[LineRecord]
    _currency: strawberry.Private[str]

    @classmethod
    def from_record(cls, r: LineRecord, currency_code: str) -> QuoteLine:
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
            _record=r,
            _currency=currency_code,
        )

    @strawberry.field(description="One entry a unit that has an IMEI or serial number.")
    async def units(self, info: Info) -> list[DeviceUnit]:
        units = await info.context.loaders.units_by_quote.load(self._record.quote_id)
        staff = info.context.viewer.staff_id is not None
        return [DeviceUnit.from_record(u, staff) for u in units.get(self._record.id, [])]

    @strawberry.field(
        description="The price grid's instant offer per unit, made at submission and never recomputed. Staff always see it (the suggested counter); the customer only when the organization shows instant offers."
    )
    async def instant_offer(self, info: Info) -> Money | None:
        offers = await info.context.loaders.instant_offers_by_quote.load(self._record.quote_id)
        offer = offers.get(self._record.id)
        if offer is None or not (info.context.caller.is_staff or offer.shown_to_customer):
            return None
        return money(offer.amount, self._currency)

    @strawberry.field(description="Every offer and decision on this line, oldest first.")
    async def history(self, info: Info) -> list[LineChange]:
        changes = await info.context.loaders.changes_by_quote.load(self._record.quote_id)
        return [
            LineChange.from_record(c, self._currency)
            for c in changes
            if c.line_id == self._record.id
        ]


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
        lines = await info.context.loaders.lines_by_quote.load(self._record.id)
        return [QuoteLine.from_record(line, self._record.currency_code) for line in lines]

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
