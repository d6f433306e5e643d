"""Every email the product sends: a template name and the JSON context stored on the outbox row,
plus the organization's branding read at send time, give a subject, a plain-text and an HTML body.

Each template below says what its email says, as blocks; `layout` draws them. Every context
carries `quote_number`, `quote_id` and `organization_name`; customer-facing ones `link_url` and
`customer_name` (may be null); staff notifications `customer_name` and `customer_email`.
An unknown template, or a missing or malformed key, raises `RenderError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql_api.mail.content import (
    Block,
    Button,
    Code,
    Content,
    Facts,
    Link,
    Paragraph,
    Quoted,
    RenderError,
    TemplateContext,
    one_line,
)
from graphql_api.mail.layout import Branding, Logo, render_html, render_text

Builder = Callable[[TemplateContext, Branding], Content]
TEMPLATES: dict[str, Builder] = {}


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    logo: Logo | None
    "The inline image the HTML refers to by `cid:`, when the organization has a logo."
    reply_to: str | None


def render_email(template: str, context: Mapping[str, Any], branding: Branding) -> RenderedEmail:
    builder = TEMPLATES.get(template)
    if builder is None:
        raise RenderError(f"unknown email template {template!r}")
    if not isinstance(context, Mapping):
        raise RenderError(f"template {template!r}: the context must be a JSON object")
    content = builder(TemplateContext(template, context), branding)
    return RenderedEmail(
        subject=one_line(content.subject),
        text=render_text(content, branding),
        html=render_html(content, branding),
        logo=branding.logo,
        reply_to=branding.reply_to if content.to_customer else None,
    )


def template(name: str) -> Callable[[Builder], Builder]:
    def register(builder: Builder) -> Builder:
        TEMPLATES[name] = builder
        return builder

    return register


def _hello(c: TemplateContext, name_key: str = "customer_name") -> str:
    name = c.optional_text(name_key) or c.optional_text("customer_name")
    return f"Hi {one_line(name)}," if name else "Hello,"


def _message(c: TemplateContext, label: str, key: str = "message") -> list[Block]:
    text = c.optional_text(key)
    return [Quoted(text, label)] if text else []


# To the customer


@template("quote_request")
def quote_request(c: TemplateContext, b: Branding) -> Content:
    expires = c.optional_date("expires_at")
    return Content(
        subject=f"{b.name} would like to make you an offer: list your devices",
        greeting=_hello(c),
        blocks=[
            Paragraph(
                f"{b.name} would like to buy your devices. List them with their condition and "
                "the price you have in mind, and we will reply with an offer."
            ),
            *_message(c, f"A message from {b.name}"),
            Button("List your devices", c.url("link_url")),
            Facts((("Quote", c.text("quote_number")),)),
            *([Paragraph(f"This link is open until {expires}.")] if expires else []),
        ],
    )


@template("quote_share")
def quote_share(c: TemplateContext, b: Branding) -> Content:
    number = c.text("quote_number")
    return Content(
        subject=f"Quote {number} from {b.name}",
        greeting=_hello(c, "recipient_name"),
        blocks=[
            Paragraph(f"{b.name} shared quote {number} with you."),
            *_message(c, f"A message from {b.name}"),
            Button("Open the quote", c.url("link_url")),
        ],
    )


@template("quote_issued")
def quote_issued(c: TemplateContext, b: Branding) -> Content:
    number = c.text("quote_number")
    total = c.money("total_offered")
    return Content(
        subject=f"Your quote {number} from {b.name} is ready: {total}",
        greeting=_hello(c),
        blocks=[
            Paragraph(f"{b.name} has made you an offer for your devices."),
            Facts((("Quote", number), ("Total offered", total))),
            *_message(c, f"A message from {b.name}"),
            Button("Review the offer", c.url("link_url")),
            Paragraph("You can accept it, counter any line or send a message from the same page."),
        ],
    )


@template("trade_in_received")
def trade_in_received(c: TemplateContext, b: Branding) -> Content:
    number = c.text("quote_number")
    return Content(
        subject=f"We received your trade-in {number}",
        greeting=_hello(c),
        blocks=[
            Paragraph(
                f"Thank you: {b.name} received your trade-in {number}. We will look at your "
                "devices and reply with an offer."
            ),
            Button("Follow your trade-in", c.url("link_url")),
            Paragraph("Keep this email: its link takes you back to your trade-in at any time."),
        ],
    )


MERCHANT_ANSWERS = {
    "NEGOTIATING": "answered your offer. Some lines have a new price for you to review.",
    "ACCEPTED": "accepted your prices.",
    "REJECTED": "declined your offer.",
}


@template("merchant_response")
def merchant_response(c: TemplateContext, b: Branding) -> Content:
    number = c.text("quote_number")
    answer = MERCHANT_ANSWERS.get(c.text("status").upper(), "answered your offer.")
    return Content(
        subject=f"{b.name} answered your offer on quote {number}",
        greeting=_hello(c),
        blocks=[
            Paragraph(f"{b.name} {answer}"),
            *_message(c, f"A message from {b.name}"),
            Button("See the answer", c.url("link_url")),
            Facts((("Quote", number),)),
        ],
    )


@template("staff_message")
def staff_message(c: TemplateContext, b: Branding) -> Content:
    number = c.text("quote_number")
    return Content(
        subject=f"New message from {b.name} about quote {number}",
        greeting=_hello(c),
        blocks=[
            Paragraph(f"{b.name} sent you a message about quote {number}:"),
            Quoted(c.text("message")),
            Button("Read and reply", c.url("link_url")),
        ],
    )


@template("quote_accepted_customer")
def quote_accepted_customer(c: TemplateContext, b: Branding) -> Content:
    number = c.text("quote_number")
    signer = c.text("signer_name")
    return Content(
        subject=f"You accepted quote {number} from {b.name}",
        greeting=f"Thank you, {one_line(signer)}.",
        blocks=[
            Paragraph(f"You accepted the offer of {b.name}. Here is your confirmation."),
            Facts(
                (
                    ("Quote", number),
                    ("Signed by", signer),
                    ("Total agreed", c.money("total_agreed")),
                    ("Signature", c.text("signature_hash")),
                    *_sealed_head(c),
                )
            ),
            Button("View the accepted quote", c.url("link_url")),
            Paragraph(f"{b.name} will tell you next how to hand over your devices."),
            Paragraph(
                "Keep this email: the signature hash and the sealed chain head above are your "
                "own copy of what you signed. The attached certificate of completion records "
                "it in full, and anyone can check it against the merchant's published key."
            ),
        ],
    )


def _sealed_head(c: TemplateContext) -> tuple[tuple[str, str], ...]:
    """The sealed chain head, when the context has it (emails queued before sealing do not)."""
    head = c.optional_text("sealed_head")
    if head is None:
        return ()
    return (
        ("Sealed chain head", head),
        ("Events sealed", c.text("sealed_event_count")),
        ("Sealing key", c.text("seal_key_id")),
    )


@template("quote_converted")
def quote_converted(c: TemplateContext, b: Branding) -> Content:
    number = c.text("quote_number")
    order = c.text("buy_order_number")
    fulfillment = c.text("fulfillment").upper()
    if fulfillment == "SHIP":
        address = b.receiving_address
        tracking = c.optional_text("tracking_number")  # set for a carrier's label, sent by link
        label = c.optional_url("label_url")
        printed = "Print your shipping label" if tracking else "Print the attached shipping label"
        handover: list[Block] = [
            Paragraph(
                f"{printed}, stick it on your parcel and send your devices"
                + (" to:" if address else ".")
            ),
            *([Quoted(address)] if address else []),
        ]
        if tracking:
            handover += [
                *([Button("Print your shipping label", label)] if label else []),
                Facts((("Carrier", c.text("carrier")), ("Tracking", tracking))),
            ]
    elif fulfillment == "PICKUP":
        instructions = c.optional_text("pickup_instructions") or b.pickup_instructions
        handover = (
            [Paragraph("How to hand over your devices:"), Quoted(instructions)]
            if instructions
            else [Paragraph(f"{b.name} will contact you to arrange the hand-over.")]
        )
    else:
        raise RenderError(f"template 'quote_converted': unknown fulfillment {fulfillment!r}")
    receipt = c.optional_url("receipt_url")
    link = c.url("link_url")
    return Content(
        subject=f"Buy order {order}: next steps for your devices",
        greeting=_hello(c),
        blocks=[
            Paragraph(f"{b.name} created buy order {order} for quote {number}."),
            Facts((("Buy order", order), ("Total", c.money("total")))),
            *handover,
            *(
                [Button("Download your receipt", receipt), Link("Follow your order", link)]
                if receipt
                else [Button("Follow your order and get your receipt", link)]
            ),
        ],
    )


@template("quote_canceled")
def quote_canceled(c: TemplateContext, b: Branding) -> Content:
    number = c.text("quote_number")
    return Content(
        subject=f"Quote {number} was canceled",
        greeting=_hello(c),
        blocks=[
            Paragraph(f"{b.name} canceled quote {number}."),
            *_message(c, "Reason", "reason"),
            Paragraph(f"If you still want to sell your devices, reply to {b.name}."),
            Link("View the quote", c.url("link_url")),
        ],
    )


@template("quote_expired")
def quote_expired(c: TemplateContext, b: Branding) -> Content:
    number = c.text("quote_number")
    return Content(
        subject=f"Quote {number} has expired",
        greeting=_hello(c),
        blocks=[
            Paragraph(
                f"Quote {number} from {b.name} expired before it was completed, so its prices "
                "no longer apply."
            ),
            Paragraph(f"Ask {b.name} for a new quote if you would still like to sell."),
            Link("View the quote", c.url("link_url")),
        ],
    )


@template("quote_recalled")
def quote_recalled(c: TemplateContext, b: Branding) -> Content:
    number = c.text("quote_number")
    return Content(
        subject=f"{b.name} is revising quote {number}",
        greeting=_hello(c),
        blocks=[
            Paragraph(
                f"{b.name} took back its latest offer on quote {number} to revise it: there is "
                "nothing to answer for now. You will hear from them again soon."
            ),
            *_message(c, f"A note from {b.name}", key="reason"),
            Link("Open the quote", c.url("link_url")),
        ],
    )


@template("quote_extended")
def quote_extended(c: TemplateContext, b: Branding) -> Content:
    number = c.text("quote_number")
    expires = c.optional_date("expires_at")
    return Content(
        subject=f"More time for quote {number}",
        greeting=_hello(c),
        blocks=[
            Paragraph(f"{b.name} has given you more time for quote {number}."),
            *([Paragraph(f"It is now open until {expires}.")] if expires else []),
            *_message(c, f"A message from {b.name}"),
            Button("Open the quote", c.url("link_url")),
        ],
    )


@template("portal_code")
def portal_code(c: TemplateContext, b: Branding) -> Content:
    code = c.text("code")
    minutes = c.integer("expires_minutes")
    link = c.optional_url("link_url")
    return Content(
        subject=f"{code} is your sign-in code for {b.name}",
        greeting=_hello(c),
        preheader=f"Your sign-in code is {code}",
        blocks=[
            Paragraph(f"Enter this code to see your quotes with {b.name}:"),
            Code(code),
            Paragraph(
                f"It expires in {minutes} minutes. If you did not ask for it, ignore this email."
            ),
            *([Link("Open the portal", link)] if link else []),
        ],
    )


# To staff


def _staff(c: TemplateContext, subject: str, summary: str, *extra: Block) -> Content:
    name = c.optional_text("customer_name")
    email = c.text("customer_email")
    link = c.optional_url("link_url")
    return Content(
        subject=subject,
        to_customer=False,
        blocks=[
            Paragraph(summary),
            *extra,
            Facts(
                (
                    ("Quote", c.text("quote_number")),
                    ("Customer", f"{name} <{email}>" if name else email),
                )
            ),
            *([Button("Open the quote", link)] if link else []),
        ],
    )


def _who(c: TemplateContext) -> str:
    return one_line(c.optional_text("customer_name") or c.text("customer_email"))


@template("staff_quote_submitted")
def staff_quote_submitted(c: TemplateContext, b: Branding) -> Content:
    number, who = c.text("quote_number"), _who(c)
    return _staff(
        c,
        f"New quote {number} from {who}",
        f"{who} submitted quote {number}: it awaits your offer.",
    )


@template("staff_customer_responded")
def staff_customer_responded(c: TemplateContext, b: Branding) -> Content:
    number, who = c.text("quote_number"), _who(c)
    return _staff(
        c,
        f"{who} answered quote {number}",
        f"{who} answered your offer on quote {number}. It is your turn.",
        *_message(c, f"Message from {who}"),
    )


@template("staff_changes_requested")
def staff_changes_requested(c: TemplateContext, b: Branding) -> Content:
    number, who = c.text("quote_number"), _who(c)
    messages = [str(m) for m in c.data.get("items") or [] if m] or [c.text("message")]
    if len(messages) == 1:
        return _staff(
            c,
            f"{who} asked for changes on quote {number}",
            f"{who} asked for changes on quote {number}:",
            Quoted(messages[0]),
        )
    return _staff(
        c,
        f"{who} sent {len(messages)} messages on quote {number}",
        f"{who} sent {len(messages)} messages on quote {number}:",
        *(Quoted(message) for message in messages),
    )


@template("staff_quote_accepted")
def staff_quote_accepted(c: TemplateContext, b: Branding) -> Content:
    number, signer = c.text("quote_number"), one_line(c.text("signer_name"))
    total = c.money("total_agreed")
    return _staff(
        c,
        f"Quote {number} accepted by {signer}: {total}",
        f"{signer} accepted quote {number} for {total}. Convert it to a buy order to send the "
        "shipping label or the pickup instructions.",
    )


@template("staff_quote_tampered")
def staff_quote_tampered(c: TemplateContext, b: Branding) -> Content:
    number = c.text("quote_number")
    return _staff(
        c,
        f"Quote {number} was altered: conversion refused",
        f"The records of quote {number} no longer match what the customer signed, so it was not "
        f"converted to a buy order. Found: {c.text('problems')}. Check who changed the database "
        "before paying anything on this quote.",
    )


@template("staff_acceptance_withdrawn")
def staff_acceptance_withdrawn(c: TemplateContext, b: Branding) -> Content:
    number, who = c.text("quote_number"), _who(c)
    return _staff(
        c,
        f"{who} withdrew the acceptance of quote {number}",
        f"{who} withdrew their acceptance of quote {number}. Those lines are open again.",
    )


@template("staff_quote_rejected")
def staff_quote_rejected(c: TemplateContext, b: Branding) -> Content:
    number, who = c.text("quote_number"), _who(c)
    return _staff(
        c,
        f"{who} rejected quote {number}",
        f"{who} declined the remaining lines of quote {number}.",
    )


@template("staff_quote_expired")
def staff_quote_expired(c: TemplateContext, b: Branding) -> Content:
    number, who = c.text("quote_number"), _who(c)
    return _staff(
        c, f"Quote {number} expired", f"Quote {number} for {who} expired without an agreement."
    )


# The team: invitations and sign-in codes (no quote in their context)


@template("staff_invitation")
def staff_invitation(c: TemplateContext, b: Branding) -> Content:
    code = c.text("code")
    days = c.integer("expires_days")
    return Content(
        subject=f"{one_line(c.text('inviter_name'))} invited you to {b.name} on Tradequote",
        greeting=_hello(c, "staff_name"),
        to_customer=False,
        preheader=f"Your invitation code is {code}",
        blocks=[
            Paragraph(
                f"{one_line(c.text('inviter_name'))} added you to {b.name}'s team as "
                f"{c.text('role').replace('_', ' ').lower()}."
            ),
            Paragraph("Sign in with this one-time code (it works once):"),
            Code(code),
            Facts(
                (
                    ("Organization", c.text("organization_slug")),
                    ("Email", c.text("email")),
                )
            ),
            Link("Open Tradequote", c.url("sign_in_url")),
            Paragraph(
                f"The code expires in {days} days. Sign in with the signInStaff mutation, or "
                "ask for a fresh code with requestStaffSignIn."
            ),
        ],
    )


@template("staff_sign_in_code")
def staff_sign_in_code(c: TemplateContext, b: Branding) -> Content:
    code = c.text("code")
    minutes = c.integer("expires_minutes")
    return Content(
        subject=f"{code} is your sign-in code for {b.name}",
        greeting=_hello(c, "staff_name"),
        to_customer=False,
        preheader=f"Your sign-in code is {code}",
        blocks=[
            Paragraph(f"Enter this code to sign in to {b.name}'s Tradequote:"),
            Code(code),
            Paragraph(
                f"It expires in {minutes} minutes and works once. If you did not ask for it, "
                "ignore this email: nobody can sign in without it."
            ),
        ],
    )


@template("quote_link_rotated")
def quote_link_rotated(c: TemplateContext, b: Branding) -> Content:
    number = c.text("quote_number")
    return Content(
        subject=f"A new link to your quote {number} from {b.name}",
        greeting=_hello(c),
        blocks=[
            Paragraph(
                f"{b.name} replaced the link to your quote {number}. The earlier link no longer "
                "works: use this one from now on."
            ),
            Button("Open the quote", c.url("link_url")),
        ],
    )


from graphql_api.mail import after_templates  # noqa: F401 - registers its templates
# Partners


@template("staff_webhook_disabled")
def staff_webhook_disabled(c: TemplateContext, b: Branding) -> Content:
    url = one_line(c.text("url"))
    return Content(
        subject=f"A webhook endpoint of {b.name} was disabled",
        greeting=_hello(c, "staff_name"),
        to_customer=False,
        blocks=[
            Paragraph(
                f"Deliveries to {url} failed for a day, so the endpoint was disabled: "
                "no new events are queued for it."
            ),
            Facts((("Endpoint", url), ("Last error", one_line(c.text("reason"))))),
            Paragraph(
                "Fix the receiver, then enable the endpoint again with updateWebhookEndpoint "
                "and redeliver what it missed with redeliverWebhook."
            ),
        ],
    )
