"""Emails to the customer of a quote, queued in the outbox inside the action's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.organization import Organization
from models.outbox import enqueue_email
from models.quote import Quote
from models.services.caller import Deps
from models.services.links import link_token, link_url


def customer_link(deps: Deps, quote: Quote) -> str:
    return link_url(deps.public_url, link_token(deps.secret_key, quote.id, quote.link_salt))


def quote_email_context(deps: Deps, quote: Quote, organization_name: str) -> dict[str, Any]:
    return {
        "quote_id": quote.id,
        "quote_number": quote.number,
        "organization_name": organization_name,
        "customer_name": quote.contact_name,
        "link_url": customer_link(deps, quote),
    }


async def email_customer(
    deps: Deps,
    quote: Quote,
    template: str,
    now: datetime,
    *,
    to_address: str | None = None,
    to_name: str | None = None,
    **context: Any,
) -> None:
    """Queue `template` to the quote's contact (or to `to_address`); nothing without an address."""
    address = to_address or quote.contact_email
    if not address:
        return
    organization = await Organization.get(id=quote.organization_id)
    await enqueue_email(
        template=template,
        to_address=address,
        to_name=to_name or quote.contact_name,
        organization_id=quote.organization_id,
        context={**quote_email_context(deps, quote, organization.name), **context},
        now=now,
    )
