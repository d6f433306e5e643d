"""Revised offers with their evidence, as the customer and the staff see them."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_api.context import Info
from graphql_api.ids import to_global_id
from graphql_api.loaders_after import PhotoRecord, RevisionRecord
from graphql_api.types.common import Money, Node, money
from graphql_api.types.enums import RevisionReason, RevisionStatus
from graphql_api.types.inventory import ReturnShipment
from models import revisions
from models.enums import RevisionReason as Reason
from models.services.evidence_uploads import VIEW_TTL, signed_path


@strawberry.type(description="A reason code of revised offers, with its category and label.")
class RevisionReasonInfo:
    code: RevisionReason = strawberry.field(description="The code.")
    category: str = strawberry.field(description="FUNCTIONAL, COSMETIC or OTHER.")
    label: str = strawberry.field(description="What it means, for people.")


def reason_infos(codes: list[str] | None = None) -> list[RevisionReasonInfo]:
    return [
        RevisionReasonInfo(code=r.code, category=r.category, label=r.label)  # type: ignore[arg-type]
        for r in revisions.REASONS
        if codes is None or r.code.value in codes
    ]


@strawberry.type(description="A photo that shows why an offer was revised.")
class EvidencePhoto:
    content_type: str = strawberry.field(
        description="image/jpeg, image/png or image/heic, as found in its bytes."
    )
    size: int = strawberry.field(description="Bytes.")
    sha256: str = strawberry.field(
        description="Hex SHA-256 of the bytes, sealed in the quote's chain."
    )
    _id: strawberry.Private[int]

    @strawberry.field(description="A signed URL of the photo, valid for 15 minutes.")
    def url(self, info: Info) -> str:
        deps = info.context.deps
        return deps.public_url + signed_path(
            deps.secret_key, "get", self._id, deps.clock() + VIEW_TTL
        )


@strawberry.type(
    description="A lower price for a device that arrived worse than disclosed, with reasons and "
    "photos; the customer accepts or declines it through their link before `replyBy`."
)
class RevisedOffer(Node):
    id: strawberry.ID
    status: RevisionStatus = strawberry.field(description="OPEN until answered or lapsed.")
    device: str = strawberry.field(description="Brand and model of the device.")
    price_before: Money = strawberry.field(description="The agreed price.")
    price: Money = strawberry.field(description="The revised price.")
    note: str | None = strawberry.field(description="The bench's explanation.")
    reply_by: datetime = strawberry.field(
        description="After this, the device goes back on a free return label."
    )
    answered_at: datetime | None = strawberry.field(
        description="When it was accepted, declined or lapsed."
    )
    created_at: datetime = strawberry.field(description="When it was made.")
    _record: strawberry.Private[RevisionRecord]

    @classmethod
    def from_record(cls, r: RevisionRecord, device: str) -> RevisedOffer:
        return cls(
            id=strawberry.ID(to_global_id("RevisedOffer", r.id)),
            status=r.status,
            device=device,
            price_before=money(r.price_before, r.currency_code),  # type: ignore[arg-type]
            price=money(r.price, r.currency_code),  # type: ignore[arg-type]
            note=r.note,
            reply_by=r.reply_by,
            answered_at=r.answered_at,
            created_at=r.created_at,
            _record=r,
        )

    @strawberry.field(description="Why, as reason codes.")
    def reasons(self) -> list[RevisionReasonInfo]:
        return reason_infos([Reason(c).value for c in self._record.reasons])

    @strawberry.field(description="The photos, oldest first.")
    async def photos(self, info: Info) -> list[EvidencePhoto]:
        rows: list[PhotoRecord] = await info.context.loaders.after.photos_by_revision.load(
            self._record.id
        )
        return [
            EvidencePhoto(content_type=r.content_type, size=r.size, sha256=r.sha256, _id=r.id)
            for r in rows
        ]

    @strawberry.field(description="The return of the device, once declined or lapsed.")
    async def return_shipment(self, info: Info) -> ReturnShipment | None:
        rows = await info.context.loaders.after.returns_by_order.load(self._record.buy_order_id)
        found = next((r for r in rows if r.unit_id == self._record.unit_id), None)
        return None if found is None else ReturnShipment.from_record(found)


async def revised_offers_of(info: Info, quote_id: int) -> list[RevisedOffer]:
    rows: list[RevisionRecord] = await info.context.loaders.after.revisions_by_quote.load(quote_id)
    units = await info.context.loaders.after.unit_by_id.load_many([r.unit_id for r in rows])
    return [
        RevisedOffer.from_record(r, f"{u.brand} {u.model}" if u is not None else "")
        for r, u in zip(rows, units, strict=True)
    ]
