"""Creating an organization and its owner."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from PIL import Image
from tortoise.transactions import in_transaction

from models import fulfillment
from models import validation as v
from models.audit import AuditAction
from models.errors import DomainError, ErrorCode
from models.negotiation import StaffRole
from models.organization import Organization, StaffMember
from models.services import audit
from models.services.audit import Admin
from models.services.caller import Caller
from models.services.device_input import Collector

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
RECEIVING_ADDRESS_MAX = 500


async def create_organization(
    *,
    name: str,
    slug: str,
    owner_email: str,
    owner_name: str | None,
    currency_code: str,
    receiving_address: str | None = None,
) -> tuple[Organization, StaffMember]:
    """The organization and its OWNER. It offers SHIP (and PICKUP) when it has a receiving
    address, PICKUP only otherwise (SHIP is offered later through the settings)."""
    clean_name = v.text(name, ["name"], limit=v.MAX_NAME, required=True, name=True)
    if not SLUG.match(slug):
        raise DomainError(ErrorCode.INVALID_INPUT, "a slug is lowercase letters, digits and dashes", ["slug"])
    currency = currency_code.upper()
    if not CURRENCY.match(currency):
        raise DomainError(ErrorCode.INVALID_INPUT, "an ISO 4217 code, e.g. USD", ["currency"])
    email = v.email(owner_email, ["ownerEmail"])
    staff_name = v.text(owner_name, ["ownerName"], limit=v.MAX_NAME, name=True) or email.split("@")[0]
    address = v.text(receiving_address, ["receivingAddress"], limit=RECEIVING_ADDRESS_MAX)
    async with in_transaction():
        if await Organization.exists(slug=slug):
            raise DomainError(ErrorCode.INVALID_INPUT, "this slug is taken", ["slug"])
        organization = await Organization.create(
            name=clean_name,
            slug=slug,
            currency_code=currency,
            receiving_address=address,
            fulfillment_methods=[method.value for method in fulfillment.defaults(address)],
        )
        owner = await StaffMember.create(
            organization=organization, name=staff_name, email=email, role=StaffRole.OWNER
        )
    return organization, owner


MAX_LOGO_BYTES = 512 * 1024
MAX_LOGO_SIDE = 4096
COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
BRANDING_ROLES = frozenset({StaffRole.OWNER, StaffRole.MANAGER})


@dataclass(frozen=True)
class BrandingIn:
    """None leaves a field as it is; an empty string clears it."""

    logo: bytes | None = None
    remove_logo: bool = False
    accent_color: str | None = None
    headline: str | None = None
    footer_text: str | None = None
    pickup_instructions: str | None = None
    receiving_address: str | None = None


def logo_content_type(data: bytes, path: list[str]) -> str:
    """The content type of a PNG or JPEG logo that decodes and is of a sane size."""
    if len(data) > MAX_LOGO_BYTES:
        raise DomainError(ErrorCode.INVALID_INPUT, f"a logo is at most {MAX_LOGO_BYTES // 1024} KB", path)
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            width, height = image.size
            image.verify()
    except (OSError, SyntaxError, Image.DecompressionBombError):
        raise DomainError(ErrorCode.INVALID_INPUT, "the logo is not a PNG or JPEG image", path) from None
    if kind not in LOGO_TYPES:
        raise DomainError(ErrorCode.INVALID_INPUT, "the logo is not a PNG or JPEG image", path)
    if max(width, height) > MAX_LOGO_SIDE:
        raise DomainError(ErrorCode.INVALID_INPUT, f"a logo is at most {MAX_LOGO_SIDE} px a side", path)
    return LOGO_TYPES[kind]


async def update_branding(caller: Caller, data: BrandingIn, admin: Admin | None = None) -> Organization:
    """The branding changed; with `admin`, the change is recorded in the audit log."""
    caller.require_staff(BRANDING_ROLES)
    found = Collector()
    path = ["input"]
    changes: dict[str, object] = {}
    if data.logo is not None:
        content_type = found.run(logo_content_type, data.logo, [*path, "logo"])
        changes.update(logo=data.logo, logo_content_type=content_type)
    elif data.remove_logo:
        changes.update(logo=None, logo_content_type=None)
    if data.accent_color is not None:
        if data.accent_color and not COLOR.match(data.accent_color):
            found.errors.append(
                DomainError(ErrorCode.INVALID_INPUT, "a colour like #0a7d5a", [*path, "accentColor"])
            )
        changes["accent_color"] = data.accent_color or None
    for name, limit in (
        ("headline", 200),
        ("footer_text", 500),
        ("pickup_instructions", 2000),
        ("receiving_address", RECEIVING_ADDRESS_MAX),
    ):
        value = getattr(data, name)
        if value is not None:
            field = "".join(p.title() if i else p for i, p in enumerate(name.split("_")))
            changes[name] = found.run(v.text, value, [*path, field], limit=limit)
    found.raise_any()
    async with in_transaction():
        organization = await Organization.filter(id=caller.organization_id).select_for_update().get()
        if "receiving_address" in changes and changes["receiving_address"] is None:
            offered = fulfillment.offered(
                organization.fulfillment_methods, organization.receiving_address
            )
            fulfillment.check_address_cleared(offered, [*path, "receivingAddress"])
        before = {name: _shown(getattr(organization, name)) for name in changes}
        for name, value in changes.items():
            setattr(organization, name, value)
        await organization.save()
        if admin is not None:
            await audit.record(
                admin, AuditAction.BRANDING_CHANGED, "Organization", organization.id, organization.slug,
                before=before, after={name: _shown(value) for name, value in changes.items()},
                now=datetime.now(UTC),
            )  # fmt: skip
    return organization


def _shown(value: object) -> object:
    """A branding value as the audit log keeps it: a logo by its size, not its bytes."""
    return f"{len(value)} bytes" if isinstance(value, bytes) else value
