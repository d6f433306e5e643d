"""What the journal writes of the rows: line snapshots and the parts of a chained event."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from models import negotiation as rules
from models.quote import Acceptance, LineChange, ThreadMessage


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


def message_part(message: ThreadMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "kind": message.kind.value,
        "author": message.author.value,
        "authorName": message.author_name,
        "body": message.body,
        "at": message.created_at.isoformat(),
    }


def change_part(change: LineChange) -> dict[str, Any]:
    return {
        "id": change.id,
        "lineId": change.line_id,
        "by": change.by.value,
        "action": change.action.value,
        "price": _price(change.price),
    }


def signature_part(acceptance: Acceptance) -> dict[str, Any]:
    return {
        "name": acceptance.signer_name,
        "email": acceptance.signer_email,
        "consent": acceptance.consent,
        "signedAt": acceptance.signed_at.isoformat(),
        "clientIp": acceptance.client_ip,
        "userAgent": acceptance.user_agent,
        "terms": acceptance.terms,
    }
