"""Auto-convert (an organization setting): the customer's acceptance, once committed, turns
the quote into a buy order through the ordinary conversion use case: paid by the first payout
method offered, shipped when the organization offers SHIP, else handed over (PICKUP)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from models import fulfillment
from models.enums import PayoutMethod
from models.errors import DomainError, DomainErrors, Forbidden
from models.negotiation import QuoteStatus, StaffRole
from models.organization import Organization, StaffMember
from models.quote import Quote
from models.services.caller import Caller, Deps
from models.services.conversion import ConversionIn, convert_to_buy_order

log = logging.getLogger(__name__)
AUTHOR = "Automatic conversion"


async def then_convert(deps: Deps, accepting: Awaitable[Quote]) -> Quote:
    """Run the acceptance; when the organization converts automatically, convert after it
    committed. A refused conversion leaves the acceptance standing (staff convert by hand)."""
    quote = await accepting
    if quote.status is not QuoteStatus.ACCEPTED:
        return quote
    organization = await Organization.get(id=quote.organization_id)
    if not organization.auto_convert:
        return quote
    owner = await StaffMember.filter(
        organization_id=quote.organization_id, role=StaffRole.OWNER, active=True
    ).order_by("id").first()
    if owner is None:
        return quote
    methods = organization.payout_methods or [PayoutMethod.STRIPE.value]
    caller = Caller(
        organization_id=quote.organization_id,
        staff_id=owner.id,
        staff_name=AUTHOR,
        role=StaffRole.OWNER,
    )
    offered = fulfillment.offered(organization.fulfillment_methods, organization.receiving_address)
    data = ConversionIn(
        payout_method=PayoutMethod(methods[0]),
        fulfillment=fulfillment.preferred(offered, organization.receiving_address),
        idempotency_key=f"auto-convert-{quote.id}",
    )
    try:
        converted, _ = await convert_to_buy_order(deps, caller, quote.id, data)
    except (DomainError, DomainErrors, Forbidden) as error:
        log.warning("auto-convert of quote %s refused: %s", quote.id, error)
        return quote
    return converted
