"""Checking IMEIs: validity, the device its TAC names, and flags from the check providers.

The built-in provider reads the organization's registry (BLACKLISTED, FINANCE_LOCKED), finds
the IMEI on the organization's other open quotes and buy orders (DUPLICATE), and reads the
line's carrier lock (CARRIER_LOCKED); the catalog names the device or says UNKNOWN_TAC. An
external provider (a commercial checking service) may add its own flags: its answers are
cached per IMEI, and when it cannot answer the check stays pending and is retried later."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from stdnum import imei as stdnum_imei
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models import validation as v
from models.enums import CarrierLock, ImeiFlag
from models.imei_checks import ProviderResult, RegistryEntry
from models.negotiation import QuoteStatus
from models.quote import DeviceUnit
from models.services.catalog import CatalogDevice, devices_by_tac

log = logging.getLogger(__name__)

BUILT_IN = "built-in"
OPEN_QUOTE_STATUSES = (
    QuoteStatus.DRAFT,
    QuoteStatus.REQUESTED,
    QuoteStatus.SUBMITTED,
    QuoteStatus.NEGOTIATING,
    QuoteStatus.ACCEPTED,
)
OPEN_PAYMENT_STATUSES = ("PENDING", "UNDER_REVIEW")


class ProviderUnavailable(Exception):
    """The checking service did not answer usably (down, slow, failing, or garbage)."""


@dataclass(frozen=True)
class CheckRequest:
    organization_id: int
    "Valid IMEIs, 15 digits each."
    imeis: tuple[str, ...]
    "The quote the IMEIs are on, so that it does not count as a duplicate of itself."
    exclude_quote_id: int | None = None
    "The IMEIs of lines the customer says are carrier-locked."
    carrier_locked: frozenset[str] = frozenset()


class CheckProvider(Protocol):
    """Anything that flags IMEIs: the built-in registry or a commercial service."""

    source: str

    async def check(self, request: CheckRequest) -> Mapping[str, frozenset[ImeiFlag]]:
        """Flags per IMEI of the request; raises ProviderUnavailable when it cannot answer."""
        ...


@dataclass(frozen=True)
class CheckSettings:
    """How the server checks IMEIs: the external provider if one is configured, and how long
    its answers are reused."""

    external: CheckProvider | None = None
    cache_seconds: int = 86400


class BuiltInProvider:
    """The organization's own registry, its open quotes and buy orders, and the line's lock.
    Two statements whatever the number of IMEIs."""

    source = BUILT_IN

    async def check(self, request: CheckRequest) -> Mapping[str, frozenset[ImeiFlag]]:
        flags: dict[str, set[ImeiFlag]] = {imei: set() for imei in request.imeis}
        if not request.imeis:
            return {}
        for imei in request.carrier_locked & set(request.imeis):
            flags[imei].add(ImeiFlag.CARRIER_LOCKED)
        entries = await RegistryEntry.filter(
            organization_id=request.organization_id, imei__in=request.imeis
        ).values_list("imei", "flag")
        for imei, flag in entries:
            flags[imei].add(ImeiFlag(flag))
        elsewhere = DeviceUnit.filter(
            imei__in=request.imeis, quote__organization_id=request.organization_id
        ).filter(
            Q(quote__status__in=OPEN_QUOTE_STATUSES)
            | Q(
                quote__status=QuoteStatus.CONVERTED,
                quote__buy_order__payment_status__in=OPEN_PAYMENT_STATUSES,
            )
        )
        if request.exclude_quote_id is not None:
            elsewhere = elsewhere.exclude(quote_id=request.exclude_quote_id)
        for duplicate in await elsewhere.distinct().values_list("imei", flat=True):
            flags[str(duplicate)].add(ImeiFlag.DUPLICATE)
        return {imei: frozenset(found) for imei, found in flags.items()}


BUILT_IN_PROVIDER = BuiltInProvider()


@dataclass(frozen=True)
class CheckResult:
    imei: str
    valid: bool
    device: CatalogDevice | None
    flags: tuple[ImeiFlag, ...]
    checked_at: datetime
    sources: tuple[str, ...] = ()
    "The external provider has not answered yet."
    pending: bool = False

    def stored(self) -> dict[str, Any]:
        """As DeviceUnit.check keeps it."""
        return {
            "valid": self.valid,
            "device": None if self.device is None else device_json(self.device),
            "flags": [flag.value for flag in self.flags],
            "checkedAt": self.checked_at.isoformat(),
            "sources": list(self.sources),
            "pending": self.pending,
        }


def device_json(device: CatalogDevice) -> dict[str, Any]:
    return {
        "type": device.device_type.value,
        "brand": device.brand,
        "model": device.model,
        "storage": None,
        "color": None,
    }


def normalize(raw: str) -> str:
    """Spaces, dashes and dots removed; what an invalid entry is shown as, trimmed."""
    return stdnum_imei.compact(raw)[:32]


def ordered(flags: Iterable[ImeiFlag]) -> tuple[ImeiFlag, ...]:
    order = list(ImeiFlag)
    return tuple(sorted(set(flags), key=order.index))


async def check_imeis(
    organization_id: int,
    raw_imeis: Sequence[str],
    now: datetime,
    *,
    settings: CheckSettings,
    exclude_quote_id: int | None = None,
    carrier_locked: frozenset[str] = frozenset(),
    call_external: bool = False,
    use_cache: bool = True,
) -> dict[str, CheckResult]:
    """Check IMEIs in a fixed number of statements: the TACs, the registry, the duplicates
    (and, with an external provider, its cached answers). Keyed by the normalized IMEI.

    Without `call_external` the provider is not called: what its cache lacks stays pending."""
    normalized = [normalize(raw) for raw in raw_imeis]
    valid = tuple(dict.fromkeys(imei for imei in normalized if v.imei_is_valid(imei)))
    devices = await devices_by_tac(organization_id, {imei[:8] for imei in valid})
    request = CheckRequest(organization_id, valid, exclude_quote_id, carrier_locked)
    flags = await BUILT_IN_PROVIDER.check(request)
    external: dict[str, frozenset[ImeiFlag]] = {}
    pending: set[str] = set()
    provider = settings.external
    if provider is not None and valid:
        if use_cache:
            since = now - timedelta(seconds=settings.cache_seconds)
            cached = await ProviderResult.filter(
                organization_id=organization_id, imei__in=valid, checked_at__gte=since
            ).values_list("imei", "flags")
            external = {imei: frozenset(ImeiFlag(f) for f in found) for imei, found in cached}
        missing = tuple(imei for imei in valid if imei not in external)
        if missing and call_external:
            try:
                answered = await call_provider(provider, organization_id, missing, now)
            except ProviderUnavailable as error:
                log.warning("IMEI provider %s unavailable: %s", provider.source, error)
                pending.update(missing)
            else:
                external.update(answered)
                pending.update(imei for imei in missing if imei not in answered)
        else:
            pending.update(missing)
    results = {}
    for imei in normalized:
        if imei in results:
            continue
        if imei not in flags:
            results[imei] = CheckResult(imei, False, None, (ImeiFlag.INVALID,), now, (BUILT_IN,))
            continue
        device = devices.get(imei[:8])
        found = set(flags[imei]) | set(external.get(imei, ()))
        if device is None:
            found.add(ImeiFlag.UNKNOWN_TAC)
        sources = [BUILT_IN]
        if imei in external and provider is not None:
            sources.append(provider.source)
        results[imei] = CheckResult(
            imei, True, device, ordered(found), now, tuple(sources), imei in pending
        )
    return results


async def call_provider(
    provider: CheckProvider, organization_id: int, imeis: Sequence[str], now: datetime
) -> dict[str, frozenset[ImeiFlag]]:
    """Ask the external provider, and remember what it said for the cache period."""
    answered = dict(await provider.check(CheckRequest(organization_id, tuple(imeis))))
    answered = {imei: flags for imei, flags in answered.items() if imei in set(imeis)}
    if answered:
        try:
            async with in_transaction():
                await ProviderResult.filter(
                    organization_id=organization_id, imei__in=list(answered)
                ).delete()
                await ProviderResult.bulk_create(
                    [
                        ProviderResult(
                            organization_id=organization_id,
                            imei=imei,
                            source=provider.source,
                            flags=[flag.value for flag in ordered(flags)],
                            checked_at=now,
                        )
                        for imei, flags in answered.items()
                    ]
                )
        except IntegrityError:  # another replica cached the same IMEIs meanwhile: theirs stands
            log.info("IMEI provider answers cached concurrently; keeping the other copy")
    return answered


def carrier_locked_imeis(devices: Iterable[tuple[CarrierLock | None, Sequence[str]]]) -> frozenset[str]:
    return frozenset(
        imei for lock, imeis in devices if lock is CarrierLock.LOCKED for imei in imeis
    )
