"""`updateBranding`: the organization's logo, colour, texts and addresses."""

from __future__ import annotations

import base64
import binascii

import strawberry

from graphql_api.context import Info
from graphql_api.errors import UserError, attempt
from graphql_api.types.organization import Organization, load_organization
from models.errors import ErrorCode
from models.services.audit import admin_of
from models.services.organizations import BrandingIn, update_branding


@strawberry.input(description="Leave a field out to keep it; send an empty string to clear it.")
class UpdateBrandingInput:
    logo: str | None = strawberry.field(
        default=None, description="A PNG or JPEG image of at most 512 KB, base64-encoded."
    )
    remove_logo: bool | None = None
    accent_color: str | None = strawberry.field(default=None, description="A CSS colour, e.g. #0a7d5a.")
    headline: str | None = None
    footer_text: str | None = None
    pickup_instructions: str | None = strawberry.field(
        default=None, description="Emailed to customers whose buy order is picked up."
    )
    receiving_address: str | None = strawberry.field(
        default=None, description="Where shipped devices go: printed on the shipping label."
    )


@strawberry.type
class UpdateBrandingPayload:
    organization: Organization | None
    user_errors: list[UserError]


@strawberry.type
class BrandingMutations:
    @strawberry.mutation(description="Staff (OWNER, MANAGER): set the organization's branding.")
    async def update_branding(self, info: Info, input: UpdateBrandingInput) -> UpdateBrandingPayload:
        logo = None
        if input.logo is not None:
            try:
                logo = base64.b64decode(input.logo, validate=True)
            except (binascii.Error, ValueError):
                error = UserError(code=ErrorCode.INVALID_INPUT, message="not base64", field=["input", "logo"])
                return UpdateBrandingPayload(organization=None, user_errors=[error])
        data = BrandingIn(
            logo=logo,
            remove_logo=bool(input.remove_logo),
            accent_color=input.accent_color,
            headline=input.headline,
            footer_text=input.footer_text,
            pickup_instructions=input.pickup_instructions,
            receiving_address=input.receiving_address,
        )
        caller = info.context.caller
        admin = admin_of(caller, info.context.settings.secret_key) if caller.is_staff else None
        result = await attempt(update_branding(caller, data, admin))
        if isinstance(result, list):
            return UpdateBrandingPayload(organization=None, user_errors=result)
        info.context.loaders.organization_by_id.clear_all()
        return UpdateBrandingPayload(organization=await load_organization(info, result.id), user_errors=[])
