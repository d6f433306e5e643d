"""Negotiation rounds: counter offers by either side, acceptance with a typed-name signature,
rejection, and withdrawal of an acceptance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from models import negotiation as rules
from models import validation as v
from models.consent import CONSENT_TEXTS, CURRENT_CONSENT_VERSION, consent_sha256
from models.enums import MessageKind
from models.errors import DomainError, DomainErrors, ErrorCode
from models.quote import Acceptance, Quote, QuoteLine
from models.services import device_input, flags
from models.services.caller import Caller, Deps
from models.services.journal import (
    check_version,
    conclude,
    line_terms,
    lock_quote,
    new_salt,
    quote_lines,
    quote_state,
    signature_part,
    unit_of_work,
)
from models.services.mailing import email_customer
from models.services.notifications import (
    NotificationKind,
    notify_customer_round,
    notify_staff,
)


@dataclass(frozen=True)
class SignatureIn:
    name: str
    email: str
    consent: bool
    "Which consent text the customer was shown; None: the current one."
    consent_version: str | None = None


async def _open(
    caller: Caller, quote_id: int, expected_version: int | None
) -> tuple[Quote, list[QuoteLine]]:
    quote = await lock_quote(caller, quote_id)
    check_version(quote, expected_version)
    return quote, await quote_lines(quote)


def _message(text: str | None) -> str | None:
    return v.text(text, ["input", "message"], limit=v.MAX_MESSAGE)


async def counter_offer(
    deps: Deps,
    caller: Caller,
    quote_id: int,
    responses: Sequence[rules.LineResponse],
    message: str | None = None,
    expected_version: int | None = None,
    overrides: Mapping[int, str | None] | None = None,
) -> Quote:
    """The awaited party answers every line that awaits them: accept, decline or counter.
    Staff quoting a flagged device need an override with a reason (`overrides`: the reason
    by index of the response), which the chain keeps."""
    now = deps.clock()
    body = _message(message)
    async with unit_of_work(deps) as pending:
        quote, lines = await _open(caller, quote_id, expected_version)
        cleaned = []
        found = device_input.Collector()
        for index, response in enumerate(responses):
            price = response.price
            at = ["input", "lines", str(index), "price"]
            if price is not None and not price.is_finite():
                found.errors.append(DomainError(ErrorCode.INVALID_INPUT, "not a number", at))
                price = None
            elif price is not None and price > 0:
                checked = found.run(v.money, price, quote.currency_code, at)
                price = price if checked is None else checked
            cleaned.append(rules.LineResponse(response.line_id, response.action, price))
        overridden = (
            await flags.flag_overrides(quote.id, cleaned, overrides or {}, found)
            if caller.is_staff
            else []
        )
        try:
            outcome = rules.respond(quote_state(quote, lines), caller.actor, cleaned, now)
        except DomainErrors as refused:
            # a price refused above is reported once, not again by the rules
            reported = {tuple(e.field or ()) for e in found.errors}
            found.errors.extend(e for e in refused.errors if tuple(e.field or ()) not in reported)
        found.raise_any()
        await conclude(
            quote,
            lines,
            outcome,
            pending,
            kind=MessageKind.COUNTER_OFFER,
            by=caller,
            body=body,
            now=now,
            extra={"flagOverrides": overridden} if overridden else None,
        )
        if caller.is_staff:
            await email_customer(
                deps, quote, "merchant_response", now, message=body, status=quote.status.value
            )
        else:
            await notify_customer_round(pending, quote, now, body)
    return quote


def _terms(quote: Quote, lines: Sequence[QuoteLine], outcome: rules.Outcome) -> dict[str, Any]:
    """What the customer signs: every accepted line at its agreed price, and the total."""
    currency = quote.currency_code
    after = {line.id: line for line in outcome.lines}
    accepted = [
        line for line in lines if after[line.id].status is rules.LineStatus.ACCEPTED
    ]
    signed = [
        line_terms(line, currency)
        | {"agreedPrice": str(v.quantize(after[line.id].agreed_price or Decimal(0), currency))}
        for line in accepted
    ]
    total = v.total((Decimal(line["agreedPrice"]), line["quantity"]) for line in signed)
    return {
        "quoteNumber": quote.number,
        "currencyCode": quote.currency_code,
        "lines": signed,
        "total": str(v.quantize(total, currency)),
    }


def _consent_version(version: str | None, found: device_input.Collector) -> str:
    if version is None:
        return CURRENT_CONSENT_VERSION
    if version not in CONSENT_TEXTS:
        found.errors.append(
            DomainError(
                ErrorCode.INVALID_INPUT,
                f"no consent text of version {version!r}; the current one is "
                f"{CURRENT_CONSENT_VERSION}",
                ["input", "signature", "consentVersion"],
            )
        )
    return version


async def accept_all_remaining(
    deps: Deps,
    caller: Caller,
    quote_id: int,
    signature: SignatureIn,
    message: str | None = None,
    expected_version: int | None = None,
) -> Quote:
    """The customer accepts every pending line at the merchant's offer and signs by typed name."""
    now = deps.clock()
    found = device_input.Collector()
    path = ["input", "signature"]
    name = found.run(
        v.text, signature.name, [*path, "name"], limit=v.MAX_NAME, required=True, name=True
    )
    email = found.run(v.email, signature.email, [*path, "email"])
    body = found.run(_message, message)
    consent_version = _consent_version(signature.consent_version, found)
    if not signature.consent:
        found.errors.append(
            DomainError(
                ErrorCode.CONSENT_REQUIRED, "tick the box to agree to the terms", [*path, "consent"]
            )
        )
    found.raise_any()
    async with unit_of_work(deps) as pending:
        quote, lines = await _open(caller, quote_id, expected_version)
        outcome = rules.accept_all_remaining(quote_state(quote, lines), caller.actor, now)
        acceptance = Acceptance(
            quote_id=quote.id,
            signer_name=name,
            signer_email=email,
            consent=True,
            client_ip=caller.client_ip,
            user_agent=(caller.user_agent or "")[:500] or None,
            terms=_terms(quote, lines, outcome),
            signed_at=now,
            salt=new_salt(),
            consent_version=consent_version,
            consent_sha256=consent_sha256(consent_version),
        )
        _, event = await conclude(
            quote,
            lines,
            outcome,
            pending,
            kind=MessageKind.ACCEPTANCE,
            by=caller,
            author_name=name,
            body=body,
            now=now,
            signature=signature_part(acceptance),
        )
        acceptance.event_id = event.id
        acceptance.signature_hash = event.hash
        await acceptance.save()
        await email_customer(
            deps,
            quote,
            "quote_accepted_customer",
            now,
            signer_name=name,
            total_agreed=acceptance.terms["total"],
            currency_code=quote.currency_code,
            signature_hash=event.hash,
            sealed_head=quote.last_hash,
            sealed_event_count=quote.event_count,
            seal_key_id=quote.seal_key_id,
            attachments=[{"kind": "certificate", "acceptance_id": acceptance.id}],
        )
        await notify_staff(
            pending,
            quote,
            NotificationKind.QUOTE_ACCEPTED,
            now,
            signer_name=name,
            total_agreed=acceptance.terms["total"],
            currency_code=quote.currency_code,
        )
    return quote


async def reject_all_remaining(
    deps: Deps,
    caller: Caller,
    quote_id: int,
    message: str | None = None,
    expected_version: int | None = None,
) -> Quote:
    """The customer declines every pending line."""
    now = deps.clock()
    body = _message(message)
    async with unit_of_work(deps) as pending:
        quote, lines = await _open(caller, quote_id, expected_version)
        outcome = rules.reject_all_remaining(quote_state(quote, lines), caller.actor, now)
        await conclude(
            quote,
            lines,
            outcome,
            pending,
            kind=MessageKind.REJECTION,
            by=caller,
            body=body,
            now=now,
        )
        await notify_staff(pending, quote, NotificationKind.QUOTE_REJECTED, now)
    return quote


async def withdraw_acceptance(
    deps: Deps, caller: Caller, quote_id: int, message: str | None = None
) -> Quote:
    """The customer takes back an acceptance that is not converted yet."""
    now = deps.clock()
    body = _message(message)
    async with unit_of_work(deps) as pending:
        quote, lines = await _open(caller, quote_id, None)
        outcome = rules.withdraw_acceptance(quote_state(quote, lines), caller.actor, now)
        withdrawn = await Acceptance.filter(quote_id=quote.id, withdrawn_at=None).values_list(
            "id", flat=True
        )
        await Acceptance.filter(id__in=list(withdrawn)).update(withdrawn_at=now)
        await conclude(
            quote,
            lines,
            outcome,
            pending,
            kind=MessageKind.WITHDRAWAL,
            by=caller,
            body=body,
            now=now,
            extra={
                "reopenedLines": [c.after.id for c in outcome.changes],
                "withdrawnAcceptances": sorted(withdrawn),
            },
        )
        await notify_staff(pending, quote, NotificationKind.ACCEPTANCE_WITHDRAWN, now)
    return quote
