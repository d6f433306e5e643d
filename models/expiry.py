"""When a quote stops being valid: the end of its last valid day, in the organization's zone.

Pure: no I/O. A quote made on 2 June with 14 validity days may be answered until the last
instant of 16 June where the merchant is; `expiresAt` is that day's end, i.e. the midnight that
starts 17 June there (the rules treat `now >= expiresAt` as expired). Computed on the calendar,
not by adding 24-hour days, so a daylight-saving change in between moves nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "UTC"


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone `name`, or UTC when it is missing or unknown."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def end_of_day(day: date, time_zone: str | None) -> datetime:
    """The instant `day` ends in `time_zone` (the start of the next day there), in UTC.

    Where a zone skips midnight (a daylight-saving change at 00:00) the next day starts at the
    first instant after the gap, and where midnight happens twice, at the first of them: both
    are what `fold=0` reads (PEP 495)."""
    local = datetime.combine(day + timedelta(days=1), time(0, fold=0), tzinfo=zone(time_zone))
    return local.astimezone(UTC)


def valid_until(now: datetime, validity_days: int, time_zone: str | None) -> datetime:
    """The default `expiresAt` of a quote made at `now`: the end of the day `validity_days`
    calendar days after today, in the organization's zone."""
    today = now.astimezone(zone(time_zone)).date()
    return end_of_day(today + timedelta(days=validity_days), time_zone)
