"""Instant offers from the price grid: pure rules, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from models.enums import CarrierLock
from models.validation import quantize

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Deduction:
    question: str
    answer: str
    kind: str
    "Money for FIXED, percent of the base price for PERCENT."
    amount: Decimal


@dataclass(frozen=True)
class Offer:
    amount: Decimal
    base_price: Decimal
    applied: tuple[Deduction, ...]


def answer_key(text: str) -> str:
    return " ".join(text.lower().split())


def grid_lock(lock: CarrierLock | None) -> CarrierLock:
    """A line whose lock is unknown is priced as locked: the safe side for the buyer."""
    return CarrierLock.UNLOCKED if lock is CarrierLock.UNLOCKED else CarrierLock.LOCKED


def matching(
    answers: Iterable[tuple[str, str]], deductions: Mapping[tuple[str, str], Deduction]
) -> tuple[Deduction, ...]:
    """The deductions the line's answers call for, each question counted once."""
    found: dict[str, Deduction] = {}
    for question, answer in answers:
        key = (answer_key(question), answer_key(answer))
        if key in deductions and key[0] not in found:
            found[key[0]] = deductions[key]
    return tuple(found.values())


def instant_offer(
    base_price: Decimal,
    floor_price: Decimal | None,
    applied: Sequence[Deduction],
    currency_code: str,
) -> Offer | None:
    """Base price less every deduction (percentages of the base price, not compounded), never
    below the floor; None when nothing positive is left to offer."""
    price = base_price
    for deduction in applied:
        if deduction.kind == "PERCENT":
            price -= base_price * deduction.amount / HUNDRED
        else:
            price -= deduction.amount
    floor = floor_price if floor_price is not None else Decimal(0)
    price = quantize(max(price, floor), currency_code)
    if price <= 0:
        return None
    return Offer(amount=price, base_price=base_price, applied=tuple(applied))
