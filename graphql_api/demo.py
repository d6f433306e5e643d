"""`tradequote serve --demo`: a demo organization with staff and quotes in every status,
so that a newcomer can explore the API in GraphiQL at once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from graphql_api import db
from graphql_api.auth import issue_token
from graphql_api.dependencies import process_deps
from graphql_api.pubsub import InProcessBroker
from graphql_api.settings import Settings
from models.enums import CarrierLock, DeviceCondition, DeviceType, Fulfillment, PayoutMethod
from models.negotiation import LineAction, LineResponse, StaffRole
from models.organization import Organization, StaffMember, TokenKind
from models.quote import Quote, QuoteLine
from models.services import conversion, drafts, lifecycle, price_grid, registry, requests, rounds
from models.services.caller import Caller, Deps
from models.services.device_input import ContactIn, DeviceIn
from models.services.mailing import customer_link
from models.services.organizations import create_organization

DEMO_SLUG = "demo"
CUSTOMERS = [
    ("Zoë Łukasiewicz", "zoe@example.com"),
    ("王伟", "wang.wei@example.com"),
    ("Ngọc Ánh", "ngoc.anh@example.com"),
    ("Sam Rivera", "sam@example.com"),
    ("Priya Natarajan", "priya@example.com"),
    ("Jonas Berg", "jonas@example.com"),
]
DEVICES = [
    DeviceIn(DeviceType.PHONE, "Apple", "iPhone 14 Pro", DeviceCondition.GOOD, 1, Decimal("650"),
             storage="256 GB", color="Deep Purple", carrier_lock=CarrierLock.UNLOCKED,
             imeis=["490154203237518"]),
    DeviceIn(DeviceType.TABLET, "Apple", "iPad Air (5th gen)", DeviceCondition.LIKE_NEW, 2,
             Decimal("300"), storage="64 GB"),
    DeviceIn(DeviceType.LAPTOP, "Lenovo", "ThinkPad X1 Carbon Gen 11", DeviceCondition.FAIR, 1,
             Decimal("540"), serials=["PF-3XK92L"]),
]


DEMO_PRICES = """brand,model,storage,grade,carrier_lock,base_price,floor_price
Apple,iPhone 14 Pro,256 GB,LIKE_NEW,UNLOCKED,610.00,250.00
Apple,iPhone 14 Pro,256 GB,GOOD,UNLOCKED,540.00,200.00
Apple,iPhone 14 Pro,256 GB,GOOD,LOCKED,470.00,150.00
Apple,iPhone 14 Pro,256 GB,FAIR,UNLOCKED,430.00,150.00
"""
DEMO_DEDUCTIONS = """question,answer,kind,amount
screen,Light scratches,PERCENT,5
screen,Deep scratches,PERCENT,15
screen,Cracked,PERCENT,40
battery,Under 80%,FIXED,40.00
accessories,None,FIXED,10.00
"""


async def _stock_demo(organization: Organization) -> None:
    """A price grid with instant offers shown, and a blacklisted IMEI in the registry."""
    await price_grid.import_prices(organization, DEMO_PRICES)
    await price_grid.import_deductions(organization, DEMO_DEDUCTIONS)
    await registry.import_registry(organization.id, "imei,flag,note\n356938035643809,BLACKLISTED,demo\n")
    organization.show_instant_offers = True


async def _quote_in(deps: Deps, owner: Caller, step: int) -> Quote:
    """A quote taken `step` actions down the loop: submitted, countered, accepted, converted."""
    name, email = CUSTOMERS[step % len(CUSTOMERS)]
    quote, _ = await requests.create_quote_request(
        deps, owner, requests.QuoteRequestIn(customer_name=name, customer_email=email,
                                             message="Tell us what you have.", send_email=False)
    )
    if step == 0:
        return quote
    customer = Caller(organization_id=quote.organization_id, quote_id=quote.id, customer_email=email)
    devices = [DEVICES[i] for i in range(1 + step % 3)]
    devices = [DeviceIn(**{**d.__dict__, "imeis": []}) if step != 1 else d for d in devices]
    await requests.submit_quote(
        deps, customer, quote.id,
        requests.SubmissionIn(ContactIn(name, email), devices, "What can you offer?"),
    )
    if step == 1:
        return quote
    lines = await QuoteLine.filter(quote_id=quote.id).order_by("position")
    offers = [LineResponse(line.id, LineAction.COUNTER, (line.customer_price or Decimal(1)) * Decimal("0.9"))
              for line in lines]
    await rounds.counter_offer(deps, owner, quote.id, offers, "Here is our offer.")
    if step in (2, 6):
        return quote
    if step == 5:
        return await rounds.reject_all_remaining(deps, customer, quote.id, "No thanks.")
    await rounds.accept_all_remaining(deps, customer, quote.id, rounds.SignatureIn(name, email, True))
    if step == 3:
        return quote
    await conversion.convert_to_buy_order(
        deps, owner, quote.id, conversion.ConversionIn(PayoutMethod.STRIPE, Fulfillment.SHIP)
    )
    return quote


async def _draft_and_expired(deps: Deps, owner: Caller) -> None:
    """A merchant-written draft, and a request made a month ago that has expired since."""
    name, email = CUSTOMERS[3]
    await drafts.create_draft_quote(
        deps, owner, drafts.DraftIn(ContactIn(name, email), DEVICES[1:], message="As discussed.")
    )
    month_ago = deps.clock() - timedelta(days=30)
    name, email = CUSTOMERS[4]
    await requests.create_quote_request(
        replace(deps, clock=lambda: month_ago),
        owner,
        requests.QuoteRequestIn(customer_name=name, customer_email=email, send_email=False),
    )
    await lifecycle.expire_due_quotes(deps)


async def load_demo(settings: Settings) -> str:
    """Create the demo organization once; always print a fresh owner token and a customer link."""
    await db.connect(settings.database_url)
    broker = InProcessBroker()
    await broker.start()
    deps = process_deps(settings, broker)
    try:
        organization = await Organization.get_or_none(slug=DEMO_SLUG)
        if organization is None:
            organization, owner = await create_organization(
                name="Demo Device Buyers", slug=DEMO_SLUG, owner_email="owner@demo.example.com",
                owner_name="Olivia Owner", currency_code="USD",
                receiving_address="Demo Device Buyers\n1 Market Street\nSpringfield 12345",
            )
            organization.headline = "We buy your old devices"
            organization.accent_color = "#0a7d5a"
            organization.footer_text = "Demo Device Buyers · 1 Market Street"
            organization.pickup_instructions = "Bring your devices to 1 Market Street, 9–17 weekdays."
            await _stock_demo(organization)
            await organization.save()
            for role in (StaffRole.SALES_REP, StaffRole.FINANCE, StaffRole.TECHNICIAN):
                await StaffMember.create(organization=organization, name=f"Demo {role.value.title()}",
                                         email=f"{role.value.lower()}@demo.example.com", role=role)
            caller = Caller(organization_id=organization.id, staff_id=owner.id,
                            staff_name=owner.name, role=StaffRole.OWNER)
            for step in range(7):
                quote = await _quote_in(deps, caller, step)
                if step == 6:
                    await lifecycle.cancel_quote(deps, caller, quote.id, "Customer changed their mind.")
            await _draft_and_expired(deps, caller)
        owner = await StaffMember.get(organization_id=organization.id, role=StaffRole.OWNER)
        token, _ = await issue_token(TokenKind.STAFF, organization.id, staff_id=owner.id,
                                     label="demo")
        negotiating = await Quote.filter(organization_id=organization.id,
                                         status="NEGOTIATING").first()
        link = customer_link(deps, negotiating) if negotiating else "(none)"
    finally:
        await broker.stop()
        await db.close()
    return (
        f"Demo organization '{DEMO_SLUG}' is ready.\n"
        f"  Staff token (OWNER): {token}\n"
        f"  Customer link of a quote awaiting the customer: {link}\n"
        f"  Open {settings.public_url}/graphql and send the token as 'Authorization: Bearer …'."
    )
