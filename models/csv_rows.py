"""Reading the CSV files staff import (catalog, IMEI registry, price grid): each row parsed or
refused with its line number and the reason. Pure: text in, rows out."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Generic, TypeVar

from models import validation as v
from models.catalog import model_key, storage_key
from models.enums import CarrierLock, DeviceCondition, DeviceType
from models.errors import DomainError
from models.imei_checks import RegistryFlag
from models.price_grid import DeductionKind

T = TypeVar("T")
MAX_ROWS = 20_000
TAC = re.compile(r"^[0-9]{8}$")
LIST_SEPARATOR = "|"

CATALOG_COLUMNS = ("type", "brand", "model", "storages", "colors", "tacs")
REGISTRY_COLUMNS = ("imei", "flag", "note")
PRICE_COLUMNS = ("brand", "model", "storage", "grade", "carrier_lock", "base_price", "floor_price")
DEDUCTION_COLUMNS = ("question", "answer", "kind", "amount")


class Refused(Exception):
    """This row cannot be imported; the message says why."""


@dataclass(frozen=True)
class Refusal:
    line: int
    reason: str


@dataclass
class Parsed(Generic[T]):
    rows: list[tuple[int, T]] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


@dataclass(frozen=True)
class CatalogRow:
    type: DeviceType
    brand: str
    model: str
    storages: tuple[str, ...]
    colors: tuple[str, ...]
    tacs: tuple[str, ...]

    @property
    def key(self) -> str:
        return model_key(self.brand, self.model)


@dataclass(frozen=True)
class RegistryRow:
    imei: str
    flag: RegistryFlag
    note: str | None


@dataclass(frozen=True)
class PriceRow:
    brand: str
    model: str
    "Normalized with storage_key; empty for any storage."
    storage: str
    grade: DeviceCondition
    carrier_lock: CarrierLock
    base_price: Decimal
    floor_price: Decimal | None

    @property
    def key(self) -> str:
        return model_key(self.brand, self.model)


@dataclass(frozen=True)
class DeductionRow:
    question: str
    answer: str
    kind: DeductionKind
    amount: Decimal


def _records(
    text: str, columns: Sequence[str], required: Sequence[str]
) -> Iterator[tuple[int, dict[str, str]]] | Refusal:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), skipinitialspace=True)
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in required if name not in header]
    if missing:
        return Refusal(1, f"the header lacks {', '.join(missing)} (columns: {', '.join(columns)})")
    reader.fieldnames = header

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for record in reader:
            extra = record.pop(None, None)  # type: ignore[call-overload]
            if extra:
                yield reader.line_num, {"": "extra"}
                continue
            if not any((value or "").strip() for value in record.values()):
                continue
            yield reader.line_num, {k: (value or "").strip() for k, value in record.items()}

    return rows()


def _parse(
    text: str,
    columns: Sequence[str],
    required: Sequence[str],
    row: Callable[[dict[str, str]], T],
) -> Parsed[T]:
    parsed: Parsed[T] = Parsed()
    try:
        records = _records(text, columns, required)
        if isinstance(records, Refusal):
            parsed.refused.append(records)
            return parsed
        for line, record in records:
            if len(parsed.rows) + len(parsed.refused) >= MAX_ROWS:
                parsed.refused.append(Refusal(line, f"at most {MAX_ROWS} rows an import"))
                break
            if "" in record:
                parsed.refused.append(Refusal(line, "more fields than the header has"))
                continue
            try:
                parsed.rows.append((line, row(record)))
            except Refused as refusal:
                parsed.refused.append(Refusal(line, str(refusal)))
    except csv.Error as error:
        parsed.refused.append(Refusal(0, f"not readable as CSV: {error}"))
    return parsed


def _text(record: dict[str, str], name: str, *, limit: int = v.MAX_SHORT) -> str:
    try:
        value = v.text(record.get(name), [name], limit=limit, required=True)
    except DomainError as error:
        raise Refused(f"{name}: {error.message}") from None
    assert value is not None
    return value


def _optional(record: dict[str, str], name: str, *, limit: int = v.MAX_SHORT) -> str | None:
    try:
        return v.text(record.get(name), [name], limit=limit)
    except DomainError as error:
        raise Refused(f"{name}: {error.message}") from None


def _choice(record: dict[str, str], name: str, enum: type[T], default: T | None = None) -> T:
    value = (record.get(name) or "").strip().upper().replace(" ", "_").replace("-", "_")
    if not value and default is not None:
        return default
    try:
        return enum(value)  # type: ignore[call-arg]
    except ValueError:
        names = ", ".join(member.value for member in enum)  # type: ignore[attr-defined]
        raise Refused(f"{name}: {record.get(name)!r} is not one of {names}") from None


def _list(record: dict[str, str], name: str, limit: int) -> tuple[str, ...]:
    items = [item.strip() for item in (record.get(name) or "").split(LIST_SEPARATOR)]
    items = [item for item in items if item]
    for item in items:
        if len(item) > limit:
            raise Refused(f"{name}: {item[:20]!r}… is longer than {limit} characters")
    return tuple(dict.fromkeys(items))


def _amount(record: dict[str, str], name: str, currency_code: str, *, required: bool) -> Decimal | None:
    raw = (record.get(name) or "").strip()
    if not raw:
        if required:
            raise Refused(f"{name}: required")
        return None
    try:
        return v.money(Decimal(raw), currency_code, [name])
    except InvalidOperation:
        raise Refused(f"{name}: {raw!r} is not a number") from None
    except DomainError as error:
        raise Refused(f"{name}: {error.message}") from None


def catalog(text: str) -> Parsed[CatalogRow]:
    def row(record: dict[str, str]) -> CatalogRow:
        tacs = _list(record, "tacs", 8)
        for tac in tacs:
            if not TAC.match(tac):
                raise Refused(f"tacs: {tac!r} is not 8 digits")
        return CatalogRow(
            type=_choice(record, "type", DeviceType),
            brand=_text(record, "brand"),
            model=_text(record, "model"),
            storages=_list(record, "storages", 32),
            colors=_list(record, "colors", 50),
            tacs=tacs,
        )

    parsed = _first_of_each(
        _parse(text, CATALOG_COLUMNS, ("type", "brand", "model"), row),
        lambda r: r.key,
        "this model is listed again on line {}",
    )
    owners: dict[str, int] = {}
    kept: Parsed[CatalogRow] = Parsed(refused=parsed.refused)
    for line, entry in parsed.rows:
        clash = next((tac for tac in entry.tacs if tac in owners), None)
        if clash is not None:
            kept.refused.append(Refusal(line, f"tacs: {clash} is already listed on line {owners[clash]}"))
            continue
        owners.update({tac: line for tac in entry.tacs})
        kept.rows.append((line, entry))
    kept.refused.sort(key=lambda r: r.line)
    return kept


def registry(text: str) -> Parsed[RegistryRow]:
    def row(record: dict[str, str]) -> RegistryRow:
        raw = _text(record, "imei", limit=32)
        if not v.imei_is_valid(raw):
            raise Refused(f"imei: {raw!r} is not a valid IMEI (15 digits, Luhn)")
        return RegistryRow(
            imei=v.imei(raw, ["imei"]),
            flag=_choice(record, "flag", RegistryFlag),
            note=_optional(record, "note", limit=500),
        )

    return _parse(text, REGISTRY_COLUMNS, ("imei", "flag"), row)


def prices(text: str, currency_code: str) -> Parsed[PriceRow]:
    def row(record: dict[str, str]) -> PriceRow:
        base = _amount(record, "base_price", currency_code, required=True)
        assert base is not None
        floor = _amount(record, "floor_price", currency_code, required=False)
        if floor is not None and floor > base:
            raise Refused("floor_price: above the base price")
        lock = _choice(record, "carrier_lock", CarrierLock, CarrierLock.UNLOCKED)
        if lock is CarrierLock.UNKNOWN:
            raise Refused("carrier_lock: UNLOCKED or LOCKED (unknown locks are priced as LOCKED)")
        return PriceRow(
            brand=_text(record, "brand"),
            model=_text(record, "model"),
            storage=storage_key(_optional(record, "storage", limit=32)),
            grade=_choice(record, "grade", DeviceCondition),
            carrier_lock=lock,
            base_price=base,
            floor_price=floor,
        )

    parsed = _parse(text, PRICE_COLUMNS, ("brand", "model", "grade", "base_price"), row)
    return _first_of_each(
        parsed,
        lambda r: (r.key, r.storage, r.grade, r.carrier_lock),
        "this price is listed again on line {}",
    )


def deductions(text: str, currency_code: str) -> Parsed[DeductionRow]:
    def row(record: dict[str, str]) -> DeductionRow:
        kind = _choice(record, "kind", DeductionKind)
        raw = (record.get("amount") or "").strip()
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise Refused(f"amount: {raw!r} is not a number") from None
        if not amount.is_finite() or amount <= 0:
            raise Refused("amount: a positive number")
        if kind is DeductionKind.PERCENT and amount > 100:
            raise Refused("amount: a percentage is at most 100")
        if kind is DeductionKind.FIXED:
            checked = _amount(record, "amount", currency_code, required=True)
            assert checked is not None
            amount = checked
        return DeductionRow(
            question=" ".join(_text(record, "question").lower().split()),
            answer=" ".join(_text(record, "answer", limit=200).lower().split()),
            kind=kind,
            amount=amount,
        )

    parsed = _parse(text, DEDUCTION_COLUMNS, DEDUCTION_COLUMNS, row)
    return _first_of_each(
        parsed, lambda r: (r.question, r.answer), "this answer is listed again on line {}"
    )


def _first_of_each(parsed: Parsed[T], key: Callable[[T], object], message: str) -> Parsed[T]:
    """A row repeating an earlier row's key is refused, pointing at the first one."""
    seen: dict[object, int] = {}
    kept: Parsed[T] = Parsed(refused=list(parsed.refused))
    for line, row in parsed.rows:
        k = key(row)
        if k in seen:
            kept.refused.append(Refusal(line, message.format(seen[k])))
            continue
        seen[k] = line
        kept.rows.append((line, row))
    kept.refused.sort(key=lambda r: r.line)
    return kept


def write(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return out.getvalue()
