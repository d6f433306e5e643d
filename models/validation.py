"""Input rules that need no I/O: money, quantities, IMEIs, emails, phones, text lengths."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation

from stdnum import imei as stdnum_imei

from models.errors import DomainError, ErrorCode

MAX_QUANTITY = 1000
MAX_DEVICES = 100
"Also the most lines a quote has: the cost analysis counts `Quote.lines` at this size."
MAX_NAME = 200
MAX_SHORT = 100
MAX_MESSAGE = 5000
MAX_PRICE = Decimal(1000000)
MINOR_UNITS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "KWD": 3, "BHD": 3, "JOD": 3}
EMAIL = re.compile(
    r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{5,24}$")
# Amounts from ±10^-12 to 10^15 in magnitude; anything beyond is a typo or an attack.
MIN_ADJUSTED_EXPONENT = -12
MAX_ADJUSTED_EXPONENT = 15
# NUL, the other C0 controls, DEL and the C1 controls; lone surrogates (no text has them).
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
LINE_BREAKS = re.compile("[\n\t\r\u2028\u2029]")
# Bidirectional embeddings, overrides and isolates: they make a name read as something else.
BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")

Path = Sequence[str | int]


def minor_units(currency_code: str) -> int:
    return MINOR_UNITS.get(currency_code, 2)


def quantize(amount: Decimal, currency_code: str) -> Decimal:
    """An amount to the currency's minor unit, e.g. 1000.000 USD to 1000.00."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency_code)))


def total(amounts: Iterable[tuple[Decimal | None, int]]) -> Decimal:
    """Sum of price × quantity over the pairs that have a price."""
    return sum((price * quantity for price, quantity in amounts if price is not None), Decimal(0))


def money(value: Decimal, currency_code: str, path: Path, *, allow_zero: bool = False) -> Decimal:
    """A positive amount with no more decimals than the currency has, quantized to them."""
    try:
        if not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, AttributeError):
        raise DomainError(ErrorCode.INVALID_INPUT, "not a number", path) from None
    if value < 0 or (value == 0 and not allow_zero):
        raise DomainError(ErrorCode.INVALID_INPUT, "prices are positive", path)
    if value > MAX_PRICE:
        raise DomainError(ErrorCode.INVALID_INPUT, f"prices stay under {MAX_PRICE}", path)
    places = minor_units(currency_code)
    if value and value.adjusted() < MIN_ADJUSTED_EXPONENT:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"{currency_code} has {places} decimal places", path
        )
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"{currency_code} has {places} decimal places", path
        )
    amount = quantize(value, currency_code)
    if amount < minor_unit(currency_code) and not (allow_zero and amount == 0):
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"prices are at least {minor_unit(currency_code)}", path
        )
    return amount


def minor_unit(currency_code: str) -> Decimal:
    """The smallest amount of the currency: 0.01 USD, 1 JPY, 0.001 KWD."""
    return Decimal(1).scaleb(-minor_units(currency_code))


def quantity(value: int, path: Path) -> int:
    if value < 1 or value > MAX_QUANTITY:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"quantity is between 1 and {MAX_QUANTITY}", path
        )
    return value


def text(
    value: str | None,
    path: Path,
    *,
    limit: int = MAX_SHORT,
    required: bool = False,
    name: bool = False,
) -> str | None:
    """Trimmed text within `limit` characters; empty counts as absent unless required. Never
    NUL, other control characters (tabs and line breaks aside) or lone surrogates; a `name` (a
    person's, or the name typed as a signature) is one line without bidirectional controls."""
    if value is None:
        if required:
            raise DomainError(ErrorCode.INVALID_INPUT, "required", path)
        return None
    value = value.strip()
    if not value:
        if required:
            raise DomainError(ErrorCode.INVALID_INPUT, "required", path)
        return None
    if len(value) > limit:
        raise DomainError(ErrorCode.INVALID_INPUT, f"at most {limit} characters", path)
    plain(value, path)
    if name and (LINE_BREAKS.search(value) or BIDI_CONTROL.search(value)):
        raise DomainError(
            ErrorCode.INVALID_INPUT, "a name is one line without direction controls", path
        )
    return value


def plain(value: str, path: Path) -> str:
    """`value` if it holds no NUL, no control character but tab and line breaks, and no lone
    surrogate (which no database can store)."""
    if CONTROL.search(value):
        raise DomainError(ErrorCode.INVALID_INPUT, "control characters are not allowed", path)
    return value


def email(value: str, path: Path) -> str:
    value = value.strip()
    if (
        len(value) > 254
        or not EMAIL.match(value)
        or CONTROL.search(value)
        or BIDI_CONTROL.search(value)
    ):
        raise DomainError(ErrorCode.INVALID_INPUT, "not a valid email address", path)
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def phone(value: str | None, path: Path) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not PHONE.match(value) or sum(ch.isdigit() for ch in value) < 6:
        raise DomainError(ErrorCode.INVALID_INPUT, "not a valid phone number", path)
    return value


def imei(value: str, path: Path) -> str:
    """15 digits passing the Luhn check, separators removed."""
    compact = stdnum_imei.compact(value)
    if len(compact) != 15 or not compact.isdigit() or not stdnum_imei.is_valid(compact):
        raise DomainError(ErrorCode.IMEI_INVALID, "not a valid IMEI (15 digits, Luhn)", path)
    return compact


def imei_is_valid(value: str) -> bool:
    compact = stdnum_imei.compact(value)
    return len(compact) == 15 and compact.isdigit() and stdnum_imei.is_valid(compact)
