"""The customer's description of their devices and contact, checked and turned into rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from models import validation as v
from models.enums import CarrierLock, DeviceCondition, DeviceType
from models.errors import DomainError, DomainErrors, ErrorCode
from models.negotiation import LineStatus, Party
from models.quote import DeviceUnit, Quote, QuoteLine

MAX_ANSWERS = 20
T = TypeVar("T")


@dataclass(frozen=True)
class ContactIn:
    name: str
    email: str
    phone: str | None = None


@dataclass(frozen=True)
class DeviceIn:
    type: DeviceType
    brand: str
    model: str
    condition: DeviceCondition
    quantity: int
    "Per unit: the customer's asking price, or the merchant's offer on a draft line."
    price: Decimal
    storage: str | None = None
    color: str | None = None
    condition_answers: Sequence[tuple[str, str]] = ()
    carrier_lock: CarrierLock | None = None
    carrier: str | None = None
    imeis: Sequence[str] = ()
    serials: Sequence[str] = ()


@dataclass
class Collector:
    """Gathers every input problem so that the caller hears of all of them at once."""

    errors: list[DomainError] = field(default_factory=list)

    def run(self, check: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return check(*args, **kwargs)
        except DomainError as error:
            self.errors.append(error)
            return None

    def raise_any(self) -> None:
        if self.errors:
            raise DomainErrors(self.errors)


def clean_contact(contact: ContactIn, path: Sequence[str], found: Collector) -> ContactIn:
    name = found.run(
        v.text, contact.name, [*path, "name"], limit=v.MAX_NAME, required=True, name=True
    )
    email = found.run(v.email, contact.email, [*path, "email"])
    phone = found.run(v.phone, contact.phone, [*path, "phone"])
    return ContactIn(name or "", email or "", phone)


def clean_devices(
    devices: Sequence[DeviceIn], currency_code: str, path: Sequence[str], found: Collector
) -> list[DeviceIn]:
    if not devices:
        found.errors.append(
            DomainError(ErrorCode.INVALID_INPUT, "list at least one device", list(path))
        )
    if len(devices) > v.MAX_DEVICES:
        found.errors.append(
            DomainError(
                ErrorCode.LIMIT_EXCEEDED, f"at most {v.MAX_DEVICES} devices a quote", list(path)
            )
        )
        return []
    seen_imeis: dict[str, list[str]] = {}
    cleaned = []
    for index, device in enumerate(devices):
        at = [*path, str(index)]
        cleaned.append(_clean_device(device, currency_code, at, found, seen_imeis))
    return cleaned


def _clean_device(
    device: DeviceIn,
    currency_code: str,
    at: list[str],
    found: Collector,
    seen_imeis: dict[str, list[str]],
) -> DeviceIn:
    run = found.run
    brand = run(v.text, device.brand, [*at, "brand"], required=True)
    model = run(v.text, device.model, [*at, "model"], required=True)
    storage = run(v.text, device.storage, [*at, "storage"], limit=32)
    color = run(v.text, device.color, [*at, "color"], limit=50)
    carrier = run(v.text, device.carrier, [*at, "carrier"])
    quantity = run(v.quantity, device.quantity, [*at, "quantity"]) or 0
    price_path = [*at, "askingPrice" if at[-2] == "devices" else "offer"]
    price = run(v.money, device.price, currency_code, price_path)
    answers = []
    if len(device.condition_answers) > MAX_ANSWERS:
        found.errors.append(
            DomainError(
                ErrorCode.INVALID_INPUT,
                f"at most {MAX_ANSWERS} answers",
                [*at, "conditionAnswers"],
            )
        )
    else:
        for i, (question, answer) in enumerate(device.condition_answers):
            q = run(v.text, question, [*at, "conditionAnswers", str(i), "question"], required=True)
            a = run(v.text, answer, [*at, "conditionAnswers", str(i), "answer"], limit=200, required=True)
            answers.append((q or "", a or ""))
    imeis = []
    if quantity and len(device.imeis) > quantity:
        found.errors.append(
            DomainError(ErrorCode.INVALID_INPUT, "more IMEIs than units", [*at, "imeis"])
        )
    else:
        for i, raw in enumerate(device.imeis):
            imei_path = [*at, "imeis", str(i)]
            imei = run(v.imei, raw, imei_path)
            if imei is None:
                continue
            if imei in seen_imeis:
                found.errors.append(
                    DomainError(ErrorCode.INVALID_INPUT, "the same IMEI is listed twice", imei_path)
                )
            seen_imeis[imei] = imei_path
            imeis.append(imei)
    serials = []
    if quantity and len(device.serials) > quantity:
        found.errors.append(
            DomainError(ErrorCode.INVALID_INPUT, "more serial numbers than units", [*at, "serials"])
        )
    else:
        for i, raw in enumerate(device.serials):
            serial = run(v.text, raw, [*at, "serials", str(i)], limit=64, required=True)
            if serial is not None:
                serials.append(serial)
    return DeviceIn(
        type=device.type,
        brand=brand or "",
        model=model or "",
        condition=device.condition,
        quantity=quantity,
        price=price or Decimal(0),
        storage=storage,
        color=color,
        condition_answers=tuple(answers),
        carrier_lock=device.carrier_lock or CarrierLock.UNKNOWN,
        carrier=carrier,
        imeis=tuple(imeis),
        serials=tuple(serials),
    )


async def create_lines(
    quote: Quote,
    devices: Sequence[DeviceIn],
    *,
    by: Party,
    checks: Mapping[str, dict[str, Any]] | None = None,
) -> list[QuoteLine]:
    """Rows for cleaned devices: the customer's asking prices, or the merchant's draft offers,
    and each unit's IMEI check from `checks` (by IMEI). Three statements whatever the number
    of devices (inside the caller's transaction)."""
    customer = by is Party.CUSTOMER
    await QuoteLine.bulk_create(
        [
            QuoteLine(
                quote_id=quote.id,
                position=position,
                device_type=device.type,
                brand=device.brand,
                model=device.model,
                storage=device.storage,
                color=device.color,
                condition=device.condition,
                condition_answers=[
                    {"question": q, "answer": a} for q, a in device.condition_answers
                ],
                carrier_lock=device.carrier_lock or CarrierLock.UNKNOWN,
                carrier=device.carrier,
                quantity=device.quantity,
                asking_price=device.price if customer else None,
                customer_price=device.price if customer else None,
                merchant_offer=None if customer else device.price,
                status=LineStatus.PENDING,
                awaiting=Party.MERCHANT if customer else None,
            )
            for position, device in enumerate(devices, start=1)
        ]
    )
    lines = await QuoteLine.filter(quote_id=quote.id).order_by("position")
    units = [
        DeviceUnit(
            line_id=line.id,
            quote_id=quote.id,
            position=i + 1,
            imei=device.imeis[i] if i < len(device.imeis) else None,
            serial=device.serials[i] if i < len(device.serials) else None,
            check=(checks or {}).get(device.imeis[i]) if i < len(device.imeis) else None,
        )
        for line, device in zip(lines, devices, strict=True)
        for i in range(max(len(device.imeis), len(device.serials)))
    ]
    if units:
        await DeviceUnit.bulk_create(units)
    return lines
