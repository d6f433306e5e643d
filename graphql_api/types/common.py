"""Shared shapes: Node, Money, PageInfo."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from models.validation import minor_units


@strawberry.interface(description="Anything with a global ID that `node(id:)` can fetch back.")
class Node:
    id: strawberry.ID


@strawberry.type(description="An exact amount in a currency.")
class Money:
    amount: Decimal
    currency_code: str = strawberry.field(description="ISO 4217, e.g. USD.")


def money(amount: Decimal | None, currency_code: str) -> Money | None:
    """Money quantized to the currency's minor unit; None stays None."""
    if amount is None:
        return None
    return Money(
        amount=amount.quantize(Decimal(1).scaleb(-minor_units(currency_code))),
        currency_code=currency_code,
    )


@strawberry.type(description="Where a page of a connection stands.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None

    @classmethod
    def of(cls, cursors: list[str], *, has_next: bool, after: object | None) -> PageInfo:
        """The page info of a forward page whose edges carry `cursors`."""
        return cls(
            has_next_page=has_next,
            has_previous_page=after is not None,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        )
