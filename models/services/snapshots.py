"""What the journal writes of the rows: line snapshots and the parts of a chained event."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from models import chain
from models import negotiation as rules
from models.quote import Acceptance, LineChange, QuoteLine, ThreadMessage
from models.validation import quantize


def _price(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def line_snapshot(line: rules.Line) -> dict[str, Any]:
    return {
        "id": line.id,
        "status": line.status.value,
        "awaiting": line.awaiting.value if line.awaiting else None,
        "customerPrice": _price(line.customer_price),
        "merchantOffer": _price(line.merchant_offer),
        "agreedPrice": _price(line.agreed_price),
        "acceptedBy": line.accepted_by.value if line.accepted_by else None,
    }


def snapshot_line(data: dict[str, Any]) -> rules.Line:
    def dec(key: str) -> Decimal | None:
        return None if data[key] is None else Decimal(data[key])

    return rules.Line(
        id=data["id"],
        status=rules.LineStatus(data["status"]),
        awaiting=rules.Party(data["awaiting"]) if data["awaiting"] else None,
        customer_price=dec("customerPrice"),
        merchant_offer=dec("merchantOffer"),
        agreed_price=dec("agreedPrice"),
        accepted_by=rules.Party(data["acceptedBy"]) if data["acceptedBy"] else None,
    )


MESSAGE_PERSONAL = {"authorNameHash": "author_name", "bodyHash": "body"}
SIGNATURE_PERSONAL = {
    "nameHash": "signer_name",
    "emailHash": "signer_email",
    "clientIpHash": "client_ip",
    "userAgentHash": "user_agent",
}


def new_salt() -> str:
    return secrets.token_hex(16)


def commitments(row: Any, personal: dict[str, str]) -> dict[str, str | None]:
    """The salted hashes of a row's personal fields, as the chain holds them."""
    return {key: chain.commit(row.salt, getattr(row, attr)) for key, attr in personal.items()}


def message_part(message: ThreadMessage, salted: bool | None = None) -> dict[str, Any]:
    """The message as chained: its personal fields as salted hashes (`salted`, the default for
    a row with a salt), or in plain text as messages were chained before salting."""
    part: dict[str, Any] = {
        "id": message.id,
        "kind": message.kind.value,
        "author": message.author.value,
        "at": message.created_at.isoformat(),
    }
    if salted if salted is not None else message.salt is not None:
        return part | commitments(message, MESSAGE_PERSONAL)
    return part | {"authorName": message.author_name, "body": message.body}


def change_part(change: LineChange) -> dict[str, Any]:
    return {
        "id": change.id,
        "lineId": change.line_id,
        "by": change.by.value,
        "action": change.action.value,
        "price": _price(change.price),
    }


def signature_part(acceptance: Acceptance, salted: bool | None = None) -> dict[str, Any]:
    """The signature as chained (see `message_part`): with the consent text's version and hash."""
    part: dict[str, Any] = {
        "consent": acceptance.consent,
        "signedAt": acceptance.signed_at.isoformat(),
        "terms": acceptance.terms,
    }
    if salted if salted is not None else acceptance.salt is not None:
        return part | commitments(acceptance, SIGNATURE_PERSONAL) | {
            "consentVersion": acceptance.consent_version,
            "consentSha256": acceptance.consent_sha256,
        }
    return part | {
        "name": acceptance.signer_name,
        "email": acceptance.signer_email,
        "clientIp": acceptance.client_ip,
        "userAgent": acceptance.user_agent,
    }


def line_terms(line: QuoteLine, currency_code: str) -> dict[str, Any]:
    """A line as the signed terms and the chained line state name it."""
    agreed = line.agreed_price
    return {
        "lineId": line.id,
        "position": line.position,
        "device": f"{line.brand} {line.model}",
        "quantity": line.quantity,
        "agreedPrice": None if agreed is None else str(quantize(agreed, currency_code)),
    }


def line_state_part(lines: Sequence[QuoteLine], currency_code: str) -> list[dict[str, Any]]:
    """What matters of every line after an action: device, quantity, agreed price, status."""
    return [line_terms(line, currency_code) | {"status": line.status.value} for line in lines]
