"""Revised offers, pure: the reason codes, and what a revision and its answer must satisfy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from models.enums import RevisionReason as R
from models.enums import RevisionStatus, UnitStatus
from models.errors import DomainError, DomainErrors, ErrorCode

MIN_PHOTOS = 1
MAX_PHOTOS = 10
NOTE_MAX = 2000


@dataclass(frozen=True)
class Reason:
    code: R
    "FUNCTIONAL, COSMETIC or OTHER."
    category: str
    label: str


REASONS = (
    Reason(R.SCREEN_DAMAGE, "COSMETIC", "Screen damage not disclosed"),
    Reason(R.BODY_DAMAGE, "COSMETIC", "Dents, cracks or heavy wear on the body"),
    Reason(R.BATTERY_HEALTH, "FUNCTIONAL", "Battery health below what was disclosed"),
    Reason(R.NOT_POWERING_ON, "FUNCTIONAL", "Does not power on"),
    Reason(
        R.FAULTY_COMPONENT, "FUNCTIONAL", "A component does not work (camera, speaker, buttons…)"
    ),
    Reason(R.ACTIVATION_LOCK, "FUNCTIONAL", "Activation lock or account still signed in"),
    Reason(R.WRONG_MODEL, "OTHER", "A different model or storage than quoted"),
    Reason(R.MISSING_ACCESSORIES, "OTHER", "Accessories missing that were disclosed"),
    Reason(R.OTHER, "OTHER", "Another reason, explained in the note"),
)


def check_revision(
    unit_status: UnitStatus,
    price_before: Decimal,
    price: Decimal,
    reasons: Sequence[R],
    photos: int,
    note: str | None,
    open_revision: bool,
) -> None:
    """What a revised offer needs: a received unit with none open, a lower price, at least one
    reason (OTHER explained in the note) and the photos that show it."""
    problems = []
    if unit_status is not UnitStatus.RECEIVED:
        problems.append(
            DomainError(
                ErrorCode.INVALID_STATE, "only a received unit is revised", ["input", "unitId"]
            )
        )
    if open_revision:
        problems.append(
            DomainError(
                ErrorCode.INVALID_STATE,
                "this unit has a revised offer waiting already",
                ["input", "unitId"],
            )
        )
    if price >= price_before:
        problems.append(
            DomainError(
                ErrorCode.INVALID_INPUT,
                f"a revised price is below {price_before}",
                ["input", "price"],
            )
        )
    if not reasons:
        problems.append(
            DomainError(ErrorCode.INVALID_INPUT, "give at least one reason", ["input", "reasons"])
        )
    if R.OTHER in reasons and not (note or "").strip():
        problems.append(
            DomainError(ErrorCode.INVALID_INPUT, "explain OTHER in the note", ["input", "note"])
        )
    if not MIN_PHOTOS <= photos <= MAX_PHOTOS:
        problems.append(
            DomainError(
                ErrorCode.INVALID_INPUT,
                f"attach {MIN_PHOTOS} to {MAX_PHOTOS} photos",
                ["input", "photoIds"],
            )
        )
    if note is not None and len(note) > NOTE_MAX:
        problems.append(
            DomainError(
                ErrorCode.INVALID_INPUT, f"at most {NOTE_MAX} characters", ["input", "note"]
            )
        )
    if problems:
        raise DomainErrors(problems)


def check_answer(status: RevisionStatus, reply_by: datetime, now: datetime) -> None:
    if status is RevisionStatus.OPEN and now >= reply_by:
        raise DomainError(
            ErrorCode.EXPIRED,
            "the time to answer this revised offer has passed",
            ["input", "revisedOfferId"],
        )
    if status is not RevisionStatus.OPEN:
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"this revised offer was {status.value.lower()} already",
            ["input", "revisedOfferId"],
        )
