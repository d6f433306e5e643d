"""The organization's settings (OWNER, MANAGER): each validated, all-or-nothing, audited."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from tortoise.transactions import in_transaction

from models import fulfillment, roles
from models import validation as v
from models.audit import AuditAction
from models.enums import Fulfillment, PayoutMethod
from models.errors import DomainError, DomainErrors, ErrorCode
from models.organization import Organization
from models.services import audit
from models.services.audit import Admin
from models.services.caller import Publisher
from models.services.tokens import announce_revoked

VALIDITY_DAYS = (1, 365)
LINK_LIFETIME_DAYS = (1, 3650)
REVISION_REPLY_DAYS = (1, 60)
IMEI_LOOKUPS = (0, 10_000)
ALL_PAYOUT_METHODS = [method.value for method in PayoutMethod]

"Column name → input field name, in the order settings are reported."
FIELDS = {
    "quote_validity_days": "quoteValidityDays",
    "time_zone": "timeZone",
    "notification_email": "notificationEmail",
    "imei_lookups_per_quote": "imeiLookupsPerQuote",
    "finance_gate": "financeGate",
    "auto_convert": "autoConvert",
    "link_lifetime_days": "linkLifetimeDays",
    "payout_methods": "payoutMethods",
    "fulfillment_methods": "fulfillmentMethods",
    "revision_reply_days": "revisionReplyDays",
}


@cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@dataclass(frozen=True)
class SettingsIn:
    """Only the settings given change: `changes` maps column names to the new values."""

    changes: dict[str, Any] = field(default_factory=dict)


def _days(value: int, limits: tuple[int, int], path: list[str]) -> int:
    low, high = limits
    if not low <= value <= high:
        raise DomainError(ErrorCode.INVALID_INPUT, f"between {low} and {high} days", path)
    return value


def clean(data: SettingsIn) -> dict[str, Any]:
    """Every setting checked; all problems reported at once (pure: no I/O)."""
    errors: list[DomainError] = []
    out: dict[str, Any] = {}
    for name, value in data.changes.items():
        path = ["input", FIELDS[name]]
        try:
            out[name] = _clean_one(name, value, path)
        except DomainError as error:
            errors.append(error)
    if errors:
        raise DomainErrors(errors)
    return out


"Settings that cannot be null: null is a bad value for them, not a clearing."
NULLABLE = frozenset({"notification_email", "imei_lookups_per_quote"})


def _clean_one(name: str, value: Any, path: list[str]) -> Any:
    if value is None and name not in NULLABLE:
        raise DomainError(ErrorCode.INVALID_INPUT, "cannot be null", path)
    if name in ("finance_gate", "auto_convert"):
        return bool(value)
    if name == "quote_validity_days":
        return _days(value, VALIDITY_DAYS, path)
    if name == "link_lifetime_days":
        return _days(value, LINK_LIFETIME_DAYS, path)
    if name == "revision_reply_days":
        return _days(value, REVISION_REPLY_DAYS, path)
    if name == "time_zone":
        zone = (value or "").strip()
        if zone not in time_zones():
            raise DomainError(ErrorCode.INVALID_INPUT, "an IANA time zone, e.g. Europe/Berlin", path)
        return zone
    if name == "notification_email":
        return None if value is None or not value.strip() else v.email(value, path)
    if name == "imei_lookups_per_quote":
        low, high = IMEI_LOOKUPS
        if value is not None and not low <= value <= high:
            raise DomainError(ErrorCode.INVALID_INPUT, f"between {low} and {high}, or null for no limit", path)
        return value
    if name == "payout_methods":
        return _methods([PayoutMethod(m).value for m in value or []], "payout", path)
    if name == "fulfillment_methods":
        return _methods([Fulfillment(m).value for m in value or []], "fulfilment", path)
    raise AssertionError(name)


def _methods(methods: list[str], kind: str, path: list[str]) -> list[str]:
    """At least one method, none twice, in the order given."""
    if not methods:
        raise DomainError(ErrorCode.INVALID_INPUT, f"offer at least one {kind} method", path)
    for index, method in enumerate(methods):
        if method in methods[:index]:
            raise DomainError(ErrorCode.INVALID_INPUT, f"{method} is listed twice", [*path, str(index)])
    return methods


def current(organization: Organization) -> dict[str, Any]:
    values = {name: getattr(organization, name) for name in FIELDS}
    values["payout_methods"] = organization.payout_methods or ALL_PAYOUT_METHODS
    values["fulfillment_methods"] = [
        method.value
        for method in fulfillment.offered(organization.fulfillment_methods, organization.receiving_address)
    ]
    return values


async def update_settings(
    bus: Publisher, admin: Admin, data: SettingsIn, now: datetime
) -> Organization:
    """A shorter link lifetime stops the links of final quotes it leaves expired at once, on
    every replica."""
    roles.require_admin(admin.role)
    changes = clean(data)
    async with in_transaction():
        organization = await Organization.filter(id=admin.organization_id).select_for_update().get()
        if "fulfillment_methods" in changes:
            fulfillment.check_offer(
                [Fulfillment(m) for m in changes["fulfillment_methods"]],
                organization.receiving_address,
                ["input", FIELDS["fulfillment_methods"]],
            )
        before = current(organization)
        changed = {name: value for name, value in changes.items() if before[name] != value}
        if changed:
            for name, value in changed.items():
                setattr(organization, name, value)
            await organization.save(update_fields=list(changed))
            await audit.record(
                admin, AuditAction.SETTINGS_CHANGED, "Organization", organization.id, organization.slug,
                before={FIELDS[n]: before[n] for n in changed},
                after={FIELDS[n]: value for n, value in changed.items()},
                now=now,
            )  # fmt: skip
    if "link_lifetime_days" in changed:
        await announce_revoked(bus, [], organizations=[organization.id])
    return organization
