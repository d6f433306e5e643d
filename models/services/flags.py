"""Flags that stop staff from quoting a line: a BLACKLISTED or FINANCE_LOCKED unit needs an
explicit override with a reason (otherwise DEVICE_FLAGGED); the other flags only warn."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from models import validation as v
from models.enums import ImeiFlag
from models.errors import DomainError, ErrorCode
from models.negotiation import LineAction
from models.quote import DeviceUnit
from models.services.imei_checks import ordered

BLOCKING_FLAGS = frozenset({ImeiFlag.BLACKLISTED, ImeiFlag.FINANCE_LOCKED})


def blocking(check: Mapping[str, Any] | None) -> frozenset[ImeiFlag]:
    """The flags of a stored check that staff must override to quote the line."""
    if not check:
        return frozenset()
    return frozenset(ImeiFlag(f) for f in check.get("flags") or []) & BLOCKING_FLAGS


async def flagged_lines(quote_id: int) -> dict[int, frozenset[ImeiFlag]]:
    """The quote's lines that carry blocking flags, with those flags; one statement."""
    rows = await DeviceUnit.filter(quote_id=quote_id, imei__not_isnull=True).values_list(
        "line_id", "check"
    )
    found: dict[int, frozenset[ImeiFlag]] = {}
    for line_id, check in rows:
        flags = blocking(check)
        if flags:
            found[line_id] = found.get(line_id, frozenset()) | flags
    return found


async def flag_overrides(
    quote_id: int,
    responses: Sequence[Any],
    overrides: Mapping[int, str | None],
    found: Any,
) -> list[dict[str, Any]]:
    """Staff may ACCEPT or COUNTER a line whose device is flagged (BLOCKING_FLAGS) only with
    an explicit override and its reason: DEVICE_FLAGGED otherwise. `overrides` maps a
    response's index to its reason; the overrides that mattered come back for the journal."""
    flagged = await flagged_lines(quote_id)
    recorded = []
    for index, response in enumerate(responses):
        if response.action not in (LineAction.ACCEPT, LineAction.COUNTER):
            continue
        at = ["input", "lines", str(index)]
        flags = flagged.get(response.line_id)
        if index in overrides:
            reason = found.run(
                v.text, overrides[index], [*at, "overrideReason"], limit=500, required=True
            )
            if flags and reason:
                recorded.append(
                    {
                        "lineId": response.line_id,
                        "flags": [flag.value for flag in ordered(flags)],
                        "reason": reason,
                    }
                )
            continue
        if flags:
            names = ", ".join(flag.value for flag in ordered(flags))
            found.errors.append(
                DomainError(
                    ErrorCode.DEVICE_FLAGGED,
                    f"this line's device is flagged ({names}): override it with a reason",
                    [*at, "action"],
                )
            )
    return recorded
