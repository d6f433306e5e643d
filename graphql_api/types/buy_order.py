"""The acceptance (e-signature) and the buy order made from an accepted quote."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from graphql_api.context import Info
from graphql_api.ids import to_global_id
from graphql_api.loaders import AcceptanceRecord, BuyOrderLineRecord, BuyOrderRecord
from graphql_api.permissions import staff_caller
from graphql_api.signing import signed_url
from graphql_api.types.common import Money, Node, money
from graphql_api.types.enums import Fulfillment, PaymentStatus, PayoutMethod
from graphql_api.types.inventory import InventoryUnit, ReturnShipment
from graphql_api.types.payout import Payout
from graphql_api.types.quote import Device, QuoteLine, quote_parts
from models.enums import Fulfillment as FulfillmentValue

if TYPE_CHECKING:
    from graphql_api.types.quote import Quote


@strawberry.type(description="The customer's typed-name e-signature of the accepted terms.")
class Acceptance:
    signer_name: str
    signer_email: str
    signed_at: datetime
    signature_hash: str = strawberry.field(
        description="Hex SHA-256 over the accepted terms and the signer, chained to the quote's earlier events."
    )
    withdrawn_at: datetime | None
    consent_version: str | None = strawberry.field(
        description="The version of the consent text the customer was shown (see `consentText`); "
        "null for acceptances recorded before consent texts were versioned."
    )
    consent_sha256: str | None = strawberry.field(
        description="Hex SHA-256 of that consent text, sealed with the signature."
    )
    _id: strawberry.Private[int]
    _quote_id: strawberry.Private[int]

    @classmethod
    def from_record(cls, r: AcceptanceRecord) -> Acceptance:
        return cls(
            signer_name=r.signer_name,
            signer_email=r.signer_email,
            signed_at=r.signed_at,
            signature_hash=r.signature_hash,
            withdrawn_at=r.withdrawn_at,
            consent_version=r.consent_version,
            consent_sha256=r.consent_sha256,
            _id=r.id,
            _quote_id=r.quote_id,
        )

    @strawberry.field(
        description="A signed, expiring URL of the certificate of completion (PDF): who signed, "
        "when, from where, the consent text, the terms, every event hash and the seal; its "
        "withdrawal too, if it was withdrawn. Every download by the customer is recorded."
    )
    def certificate_url(self, info: Info) -> str | None:
        caller = info.context.caller
        if not (caller.is_staff or caller.is_customer):
            return None
        settings = info.context.settings
        viewer = "staff" if caller.is_staff else "customer"
        return signed_url(settings.public_url, settings.secret_key, "certificate", self._id, viewer)

    @strawberry.field(
        description="Recomputed now from the stored records; false means they were altered after signing."
    )
    async def valid(self, info: Info) -> bool:
        keys = info.context.deps.keys
        return await info.context.loaders.chain_valid_by_quote.load((self._quote_id, keys))


@strawberry.type(description="One accepted line bought at its agreed price.")
class BuyOrderLine:
    device: Device
    quantity: int
    unit_price: Money
    total: Money
    _record: strawberry.Private[BuyOrderLineRecord]
    _quote_id: strawberry.Private[int]
    _currency: strawberry.Private[str]

    @strawberry.field
    async def quote_line(self, info: Info) -> QuoteLine:
        parts = await quote_parts(info, self._quote_id, self._currency)
        return parts.by_id[self._record.quote_line_id]


@strawberry.type(
    description="How the customer ships the devices: the carrier's label, or the organization's "
    "own printable label (addressed to its receiving address, with a barcode of the order number)."
)
class ShippingLabel:
    carrier: str | None = strawberry.field(
        description="The carrier's code, e.g. ups; null for the organization's own label."
    )
    tracking_number: str | None = strawberry.field(
        description="The carrier's tracking number; null for the organization's own label."
    )
    url: str | None = strawberry.field(
        description="Where to get the label: the carrier's PDF (null if it gave none), or a "
        "signed, expiring URL of the built-in PDF."
    )


@strawberry.type(description="What the merchant buys: made once from an accepted quote.")
class BuyOrder(Node):
    id: strawberry.ID
    number: str = strawberry.field(
        description="Human-readable and unique within the organization, e.g. BO-000042."
    )
    total: Money
    payout_method: PayoutMethod
    payment_status: PaymentStatus
    fulfillment: Fulfillment
    created_at: datetime
    _record: strawberry.Private[BuyOrderRecord]

    @classmethod
    def from_record(cls, r: BuyOrderRecord) -> BuyOrder:
        total = money(r.total, r.currency_code)
        assert total is not None
        return cls(
            id=strawberry.ID(to_global_id("BuyOrder", r.id)),
            number=r.number,
            total=total,
            payout_method=r.payout_method,
            payment_status=r.payment_status,
            fulfillment=r.fulfillment,
            created_at=r.created_at,
            _record=r,
        )

    @strawberry.field(
        description="A signed, expiring URL of the PDF receipt; every download is recorded."
    )
    def receipt_url(self, info: Info) -> str:
        return self._download(info, "receipt")

    def _download(self, info: Info, kind: str) -> str:
        """A signed, expiring URL of one of the order's PDFs, for this viewer."""
        settings = info.context.settings
        viewer = "staff" if info.context.viewer.staff_id is not None else "customer"
        return signed_url(settings.public_url, settings.secret_key, kind, self._record.id, viewer)

    @strawberry.field(
        description="SHIP: the label the customer ships the devices with; null for PICKUP."
    )
    def shipping_label(self, info: Info) -> ShippingLabel | None:
        r = self._record
        if r.fulfillment is not FulfillmentValue.SHIP:
            return None
        if r.tracking_number is not None:
            return ShippingLabel(carrier=r.carrier, tracking_number=r.tracking_number, url=r.label_url)
        return ShippingLabel(carrier=None, tracking_number=None, url=self._download(info, "label"))

    @strawberry.field
    async def quote(
        self, info: Info
    ) -> Annotated[Quote, strawberry.lazy("graphql_api.types.quote")]:
        from graphql_api.types.quote import Quote

        record = await info.context.loaders.quote_by_id.load(self._record.quote_id)
        assert record is not None
        return Quote.from_record(record)

    @strawberry.field
    async def lines(self, info: Info) -> list[BuyOrderLine]:
        rows = await info.context.loaders.buy_order_lines_by_order.load(self._record.id)
        currency = self._record.currency_code
        return [
            BuyOrderLine(
                device=Device(
                    type=r.device_type,
                    brand=r.brand,
                    model=r.model,
                    storage=r.storage,
                    color=r.color,
                ),
                quantity=r.quantity,
                unit_price=money(r.unit_price, currency),  # type: ignore[arg-type]
                total=money(r.total, currency),  # type: ignore[arg-type]
                _record=r,
                _quote_id=self._record.quote_id,
                _currency=currency,
            )
            for r in rows
        ]

    @strawberry.field(
        description="What the merchant owes for this order and where its payment stands."
    )
    async def payout(self, info: Info) -> Payout | None:
        record = await info.context.loaders.after.payout_by_order.load(self._record.id)
        return None if record is None else Payout.from_record(record)

    @strawberry.field(
        description="Staff: the order's devices, one per unit, as the receiving bench sees them."
    )
    async def units(self, info: Info) -> list[InventoryUnit]:
        staff_caller(info)
        rows = await info.context.loaders.after.units_by_order.load(self._record.id)
        return [InventoryUnit.from_record(r, self._record.currency_code) for r in rows]

    @strawberry.field(description="Devices going back to the customer, with their tracking.")
    async def returns(self, info: Info) -> list[ReturnShipment]:
        rows = await info.context.loaders.after.returns_by_order.load(self._record.id)
        return [ReturnShipment.from_record(r) for r in rows]
