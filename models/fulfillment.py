"""How devices reach the organization: the fulfilment methods it offers, and the rule that SHIP
needs its receiving address (the label is addressed to it). Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence

from models.enums import Fulfillment
from models.errors import DomainError, ErrorCode
from models.validation import Path

SET_ADDRESS_FIRST = (
    "set the receiving address first (updateBranding with receivingAddress): "
    "a shipping label is addressed to it"
)


def has_address(receiving_address: str | None) -> bool:
    return bool((receiving_address or "").strip())


def defaults(receiving_address: str | None) -> list[Fulfillment]:
    """What a new organization offers: shipping only once it has an address to ship to."""
    if has_address(receiving_address):
        return [Fulfillment.SHIP, Fulfillment.PICKUP]
    return [Fulfillment.PICKUP]


def offered(methods: Sequence[str] | None, receiving_address: str | None) -> list[Fulfillment]:
    """The stored methods, in order of preference (the defaults when none are stored)."""
    if not methods:
        return defaults(receiving_address)
    return [Fulfillment(method) for method in methods]


def check_offer(methods: Sequence[Fulfillment], receiving_address: str | None, path: Path) -> None:
    """Offering SHIP needs a receiving address."""
    if Fulfillment.SHIP in methods and not has_address(receiving_address):
        raise DomainError(ErrorCode.INVALID_STATE, f"SHIP is not possible yet: {SET_ADDRESS_FIRST}", path)


def check_address_cleared(methods: Sequence[Fulfillment], path: Path) -> None:
    """The receiving address stays while SHIP is offered."""
    if Fulfillment.SHIP in methods:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            "the receiving address is needed while SHIP is offered: remove SHIP from "
            "fulfillmentMethods (updateOrganizationSettings) first",
            path,
        )


def check_conversion(
    fulfillment: Fulfillment, methods: Sequence[Fulfillment], receiving_address: str | None
) -> None:
    """A buy order's fulfilment is one the organization offers, and SHIP has an address."""
    path = ["input", "fulfillment"]
    if fulfillment not in methods:
        shown = ", ".join(method.value for method in methods)
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"the organization does not offer {fulfillment.value} (it offers {shown})",
            path,
        )
    check_offer([fulfillment], receiving_address, path)


def preferred(methods: Sequence[Fulfillment], receiving_address: str | None) -> Fulfillment:
    """Automatic conversion ships when it can, else the customer hands the devices over."""
    if Fulfillment.SHIP in methods and has_address(receiving_address):
        return Fulfillment.SHIP
    return Fulfillment.PICKUP if Fulfillment.PICKUP in methods else methods[0]
