"""Shared shapes: Node, Money, PageInfo, and the DateTime and Decimal scalars that refuse what
no field can use (a time without its offset, a year 1, a number that is no number) before any
resolver runs, as `BAD_USER_INPUT`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, DecimalException

import strawberry
from graphql import GraphQLError
from strawberry.types.scalar import ScalarDefinition

from models.validation import minor_units

EARLIEST_YEAR = 1900
LATEST_YEAR = 9000
MAX_SCALAR_LENGTH = 64


def bad_input(message: str) -> GraphQLError:
    """A refusal of a value the client sent; the value itself is never echoed."""
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


def parse_datetime(value: object) -> datetime:
    """An ISO 8601 date-time with its UTC offset, between 1900 and 9000, as aware UTC."""
    if not isinstance(value, str) or len(value) > MAX_SCALAR_LENGTH:
        raise bad_input("DateTime is an ISO 8601 string, e.g. 2030-01-01T00:00:00Z.")
    try:
        parsed = datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        raise bad_input("DateTime is an ISO 8601 string, e.g. 2030-01-01T00:00:00Z.") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise bad_input("DateTime needs its UTC offset, e.g. 2030-01-01T00:00:00Z or +02:00.")
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        raise bad_input(f"DateTime lies between the years {EARLIEST_YEAR} and {LATEST_YEAR}.")
    return parsed.astimezone(UTC)


def parse_decimal(value: object) -> Decimal:
    """A decimal number written in at most 64 characters. NaN, Infinity and absurd exponents
    pass as numbers: the price rules (`models.validation.money`) refuse them with their path."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise bad_input('Decimal is a number written as a string, e.g. "650.00".')
    text = str(value).strip()
    if len(text) > MAX_SCALAR_LENGTH:
        raise bad_input(f"Decimal has at most {MAX_SCALAR_LENGTH} characters.")
    try:
        return Decimal(text)
    except (DecimalException, ValueError):
        raise bad_input('Decimal is a number written as a string, e.g. "650.00".') from None


def _isoformat(value: datetime) -> str:
    return value.isoformat()


def _scalar(
    name: str,
    description: str,
    origin: type,
    serialize: Callable[..., str],
    parse: Callable[..., object],
) -> ScalarDefinition:
    return ScalarDefinition(
        name=name,
        description=description,
        specified_by_url=None,
        serialize=serialize,
        parse_value=parse,
        parse_literal=None,
        origin=origin,
    )


DateTimeScalar = _scalar(
    "DateTime",
    "Date with time (ISO 8601) and its UTC offset, e.g. 2030-01-01T00:00:00Z.",
    datetime,
    _isoformat,
    parse_datetime,
)
DecimalScalar = _scalar(
    "Decimal",
    'Decimal (fixed-point) as a string, e.g. "650.00".',
    Decimal,
    str,
    parse_decimal,
)
SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {
    datetime: DateTimeScalar,
    Decimal: DecimalScalar,
}


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
