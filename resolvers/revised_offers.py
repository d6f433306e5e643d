"""Revised offers with evidence: staged photo uploads, the bench's revision, the customer's answer."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserError, attempt, not_found
from graphql_api.ids import decode_id, to_global_id
from graphql_api.loaders_after import fresh_revision, fresh_unit
from graphql_api.types.enums import RevisionReason
from graphql_api.types.revised_offer import RevisedOffer, RevisionReasonInfo, reason_infos
from models.services import evidence_uploads, revised_offers


async def _revision(revision_id: int) -> RevisedOffer:
    record = await fresh_revision(revision_id)
    unit = await fresh_unit(record.unit_id)
    return RevisedOffer.from_record(record, f"{unit.brand} {unit.model}")


@strawberry.type(
    description="Where to PUT one photo: a signed URL, valid for 15 minutes, used once."
)
class StagedUpload:
    id: strawberry.ID = strawberry.field(
        description="Give it to `reviseOffer` once the photo is uploaded."
    )
    url: str = strawberry.field(
        description="PUT the photo's bytes here (JPEG, PNG or HEIC, at most 10 MB); the type is read from the bytes."
    )
    expires_at: datetime = strawberry.field(description="When the URL stops working.")


@strawberry.input(description="How many photos to upload.")
class StageEvidenceUploadsInput:
    count: int = strawberry.field(description="1 to 10.")


@strawberry.type(description="The upload URLs.")
class StageEvidenceUploadsPayload:
    uploads: list[StagedUpload] = strawberry.field(description="One per photo.")
    user_errors: list[UserError] = strawberry.field(description="Why none were made, if so.")


@strawberry.input(description="A lower price for a received device, with reasons and photos.")
class ReviseOfferInput:
    unit_id: strawberry.ID = strawberry.field(description="The received unit.")
    price: Decimal = strawberry.field(
        description="The revised price, below the agreed one (0 allowed)."
    )
    reasons: list[RevisionReason] = strawberry.field(
        description="At least one (see `revisionReasons`)."
    )
    photo_ids: list[strawberry.ID] = strawberry.field(
        description="The uploaded photos (`stageEvidenceUploads`)."
    )
    note: str | None = strawberry.field(
        default=None, description="What the bench found, for the customer."
    )


@strawberry.input(description="The customer's answer to a revised offer.")
class AnswerRevisedOfferInput:
    revised_offer_id: strawberry.ID = strawberry.field(description="The revised offer.")
    accept: bool = strawberry.field(
        description="true: the revised price is paid; false: the device comes back on a free return label."
    )


@strawberry.type(description="The revised offer after the action.")
class RevisedOfferPayload:
    revised_offer: RevisedOffer | None = strawberry.field(description="The revised offer.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.type
class RevisedOfferMutations:
    @strawberry.mutation(description="Technician and up: signed URLs to upload evidence photos to.")
    async def stage_evidence_uploads(
        self, info: Info, input: StageEvidenceUploadsInput
    ) -> StageEvidenceUploadsPayload:
        ctx = info.context
        result = await attempt(evidence_uploads.stage_uploads(ctx.deps, ctx.caller, input.count))
        if isinstance(result, list):
            return StageEvidenceUploadsPayload(uploads=[], user_errors=result)
        return StageEvidenceUploadsPayload(
            uploads=[
                StagedUpload(
                    id=strawberry.ID(to_global_id("EvidenceUpload", s.upload.id)),
                    url=s.url,
                    expires_at=s.upload.expires_at,
                )
                for s in result
            ],
            user_errors=[],
        )

    @strawberry.mutation(
        description="Technician and up: revise the price of a received device that arrived worse than "
        "disclosed. The customer is told, sees the photos through their link and answers before the "
        "organization's reply window ends."
    )
    async def revise_offer(self, info: Info, input: ReviseOfferInput) -> RevisedOfferPayload:
        unit_id = decode_id(input.unit_id, "InventoryUnit")
        if unit_id is None:
            return RevisedOfferPayload(
                revised_offer=None, user_errors=not_found(["input", "unitId"])
            )
        photo_ids = []
        for index, raw in enumerate(input.photo_ids):
            if (pk := decode_id(raw, "EvidenceUpload")) is None:
                return RevisedOfferPayload(
                    revised_offer=None, user_errors=not_found(["input", "photoIds", str(index)])
                )
            photo_ids.append(pk)
        ctx = info.context
        result = await attempt(
            revised_offers.revise_offer(
                ctx.deps,
                ctx.caller,
                unit_id,
                input.price,
                input.reasons,
                input.note,
                photo_ids,  # type: ignore[arg-type]
            )
        )
        if isinstance(result, list):
            return RevisedOfferPayload(revised_offer=None, user_errors=result)
        info.context.loaders.forget_quote(result.quote_id)
        return RevisedOfferPayload(revised_offer=await _revision(result.id), user_errors=[])

    @strawberry.mutation(
        description="The customer, through their link or the portal: accept or decline a revised offer."
    )
    async def answer_revised_offer(
        self, info: Info, input: AnswerRevisedOfferInput
    ) -> RevisedOfferPayload:
        pk = decode_id(input.revised_offer_id, "RevisedOffer")
        if pk is None:
            return RevisedOfferPayload(
                revised_offer=None, user_errors=not_found(["input", "revisedOfferId"])
            )
        ctx = info.context
        result = await attempt(
            revised_offers.answer_revised_offer(ctx.deps, ctx.caller, pk, input.accept)
        )
        if isinstance(result, list):
            return RevisedOfferPayload(revised_offer=None, user_errors=result)
        info.context.loaders.forget_quote(result.quote_id)
        return RevisedOfferPayload(revised_offer=await _revision(pk), user_errors=[])


@strawberry.type
class RevisedOfferQueries:
    @strawberry.field(description="The reason codes of revised offers, with their categories.")
    def revision_reasons(self) -> list[RevisionReasonInfo]:
        return reason_infos()
