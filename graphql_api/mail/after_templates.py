"""Emails of what follows a buy order: payouts paid or declined, revised offers and the answers
to them (with the return label when a unit goes back), the receipt of a store-credit spend."""

from __future__ import annotations

from graphql_api.mail.content import Button, Content, Facts, Paragraph, Quoted, TemplateContext
from graphql_api.mail.layout import Branding
from graphql_api.mail.templates import _hello, _staff, _who, template

METHODS = {"STRIPE": "bank transfer (Stripe)", "CHECK": "check", "STORE_CREDIT": "store credit"}


@template("payout_paid")
def payout_paid(c: TemplateContext, b: Branding) -> Content:
    order = c.text("buy_order_number")
    method = METHODS.get(c.text("method"), c.text("method"))
    return Content(
        subject=f"{b.name} paid you for buy order {order}",
        greeting=_hello(c),
        blocks=[
            Paragraph(f"{b.name} paid you for your devices by {method}."),
            Facts(
                (
                    ("Quote", c.text("quote_number")),
                    ("Buy order", order),
                    ("Paid", c.money("paid_amount")),
                    ("Declined", c.money("declined_amount")),
                )
            ),
            Button("See your order", c.url("link_url")),
        ],
    )


@template("payout_declined")
def payout_declined(c: TemplateContext, b: Branding) -> Content:
    order = c.text("buy_order_number")
    reason = c.optional_text("reason")
    return Content(
        subject=f"{b.name} declined the payment of buy order {order}",
        greeting=_hello(c),
        blocks=[
            Paragraph(f"{b.name} will not pay buy order {order} (quote {c.text('quote_number')})."),
            *([Paragraph("The reason given:"), Quoted(reason)] if reason else []),
            Button("See your order", c.url("link_url")),
        ],
    )


@template("revised_offer")
def revised_offer(c: TemplateContext, b: Branding) -> Content:
    device = c.text("device")
    note = c.optional_text("message")
    return Content(
        subject=f"{b.name} revised its offer for your {device}",
        greeting=_hello(c),
        blocks=[
            Paragraph(
                f"{b.name} received your {device} and found it differs from what was described. "
                "The photos and the reasons are on your quote's page."
            ),
            Facts(
                (
                    ("Quote", c.text("quote_number")),
                    ("Agreed price", c.money("price_before")),
                    ("Revised price", c.money("price")),
                    ("Reasons", c.text("reasons")),
                    ("Answer by", c.text("reply_by")),
                )
            ),
            *([Quoted(note)] if note else []),
            Button("See the photos and answer", c.url("link_url")),
            Paragraph(
                "If you decline, or do not answer in time, your device comes back to you on a "
                f"return label paid by {b.name}."
            ),
        ],
    )


ANSWERS = {
    "ACCEPTED": "You accepted the revised price.",
    "DECLINED": "You declined the revised price: your device is coming back to you.",
    "LAPSED": "The time to answer passed: your device is coming back to you.",
}


@template("revised_offer_answered")
def revised_offer_answered(c: TemplateContext, b: Branding) -> Content:
    device = c.text("device")
    status = c.text("status")
    tracking = c.optional_text("tracking_number")
    facts = [
        ("Quote", c.text("quote_number")),
        ("Device", device),
        ("Payout now", c.money("payout_amount")),
    ]
    if tracking:
        facts += [("Carrier", c.text("carrier")), ("Tracking", tracking)]
    return Content(
        subject=f"Your {device}: revised offer {status.lower()}",
        greeting=_hello(c),
        blocks=[
            Paragraph(ANSWERS.get(status, status)),
            Facts(tuple(facts)),
            Button("Follow your order", c.url("link_url")),
        ],
    )


@template("staff_revised_offer_answered")
def staff_revised_offer_answered(c: TemplateContext, b: Branding) -> Content:
    number, who = c.text("quote_number"), _who(c)
    status = c.text("status").lower()
    device = c.text("device")
    return _staff(
        c,
        f"Revised offer {status} on quote {number}",
        f"The revised offer for {who}'s {device} on quote {number} was {status}.",
    )


@template("unit_received")
def unit_received(c: TemplateContext, b: Branding) -> Content:
    device = c.text("device")
    return Content(
        subject=f"{b.name} received your {device}",
        greeting=_hello(c),
        blocks=[
            Paragraph(f"{b.name} received your {device} and is checking it now."),
            Facts((("Quote", c.text("quote_number")), ("Buy order", c.text("buy_order_number")))),
            Button("Follow your order", c.url("link_url")),
        ],
    )


@template("store_credit_spent")
def store_credit_spent(c: TemplateContext, b: Branding) -> Content:
    reference = c.optional_text("reference")
    spent = c.money("amount")
    return Content(
        subject=f"{b.name}: you spent {spent} of store credit",
        greeting=_hello(c),
        blocks=[
            Paragraph(f"You spent {spent} of your store credit with {b.name}."),
            Facts(
                (
                    ("Spent", spent),
                    *((("For", reference),) if reference else ()),
                    ("Balance now", c.money("balance")),
                )
            ),
            Button("See your balance", c.url("link_url")),
        ],
    )
