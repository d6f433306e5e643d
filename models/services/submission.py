"""What a customer's submission (through a link or the trade-in page) writes besides the
quote itself: the lines with each IMEI checked, and the grid's instant offers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from models.negotiation import Party
from models.quote import Quote, QuoteLine
from models.services import device_input, imei_checks, instant_offers, pending_checks
from models.services.caller import Deps


async def save_devices(
    deps: Deps, quote: Quote, devices: Sequence[device_input.DeviceIn], now: datetime
) -> list[QuoteLine]:
    """Lines and units with their checks, pending external checks, and instant offers: a fixed
    number of statements whatever the number of devices and IMEIs."""
    imeis = [imei for device in devices for imei in device.imeis]
    checks = await imei_checks.check_imeis(
        quote.organization_id,
        imeis,
        now,
        settings=deps.checks,
        exclude_quote_id=quote.id,
        carrier_locked=imei_checks.carrier_locked_imeis((d.carrier_lock, d.imeis) for d in devices),
    )
    stored = {imei: result.stored() for imei, result in checks.items()}
    lines = await device_input.create_lines(quote, devices, by=Party.CUSTOMER, checks=stored)
    pending = [imei for imei, result in checks.items() if result.pending]
    await pending_checks.queue_pending(quote.organization_id, quote.id, pending, now)
    await instant_offers.make_offers(quote, lines, now)
    return lines
