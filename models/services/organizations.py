"""Creating an organization and its owner."""

from __future__ import annotations

import re

from tortoise.transactions import in_transaction

from models import validation as v
from models.errors import DomainError, ErrorCode
from models.negotiation import StaffRole
from models.organization import Organization, StaffMember

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
CURRENCY = re.compile(r"^[A-Z]{3}$")


async def create_organization(
    *, name: str, slug: str, owner_email: str, owner_name: str | None, currency_code: str
) -> tuple[Organization, StaffMember]:
    clean_name = v.text(name, ["name"], limit=v.MAX_NAME, required=True)
    if not SLUG.match(slug):
        raise DomainError(ErrorCode.INVALID_INPUT, "a slug is lowercase letters, digits and dashes", ["slug"])
    currency = currency_code.upper()
    if not CURRENCY.match(currency):
        raise DomainError(ErrorCode.INVALID_INPUT, "an ISO 4217 code, e.g. USD", ["currency"])
    email = v.email(owner_email, ["ownerEmail"])
    staff_name = v.text(owner_name, ["ownerName"], limit=v.MAX_NAME) or email.split("@")[0]
    async with in_transaction():
        if await Organization.exists(slug=slug):
            raise DomainError(ErrorCode.INVALID_INPUT, "this slug is taken", ["slug"])
        organization = await Organization.create(name=clean_name, slug=slug, currency_code=currency)
        owner = await StaffMember.create(
            organization=organization, name=staff_name, email=email, role=StaffRole.OWNER
        )
    return organization, owner
