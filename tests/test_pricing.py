"""The instant-offer rule and the CSV readers, on any input (pure: no database)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from models import csv_rows, pricing
from models.enums import CarrierLock

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)
deduction = st.one_of(
    st.builds(lambda a: pricing.Deduction("q", "a", "FIXED", a), money),
    st.builds(
        lambda p: pricing.Deduction("q", "a", "PERCENT", p),
        st.decimals(min_value=Decimal("0.5"), max_value=Decimal("100"), places=1),
    ),
)


@given(money, st.one_of(st.none(), money), st.lists(deduction, max_size=5))
def test_an_offer_stays_between_the_floor_and_the_base_price(
    base: Decimal, floor: Decimal | None, applied: list[pricing.Deduction]
) -> None:
    if floor is not None and floor > base:
        floor = base
    offer = pricing.instant_offer(base, floor, applied, "USD")
    if offer is None:
        assert floor is None and applied
        return
    assert offer.amount <= base
    assert offer.amount >= (floor or Decimal("0.01"))
    assert offer.amount == offer.amount.quantize(Decimal("0.01"))
    fewer = pricing.instant_offer(base, floor, applied[:-1], "USD")
    assert fewer is not None and fewer.amount >= offer.amount


def test_percentages_are_of_the_base_price_and_zero_decimal_currencies_round() -> None:
    ten = pricing.Deduction("screen", "light scratches", "PERCENT", Decimal(10))
    offer = pricing.instant_offer(Decimal(500), None, [ten, ten], "USD")
    assert offer is not None and offer.amount == Decimal("400.00")
    yen = pricing.instant_offer(Decimal(10001), None, [ten], "JPY")
    assert yen is not None and str(yen.amount) == "9001"  # 9000.9 to the yen
    assert pricing.instant_offer(Decimal(50), None, [pricing.Deduction("q", "a", "FIXED", Decimal(60))], "USD") is None


def test_answers_match_whatever_their_case_and_each_question_counts_once() -> None:
    table = {
        ("screen", "light scratches"): pricing.Deduction("screen", "light scratches", "PERCENT", Decimal(10)),
        ("battery", "under 80%"): pricing.Deduction("battery", "under 80%", "FIXED", Decimal(40)),
    }
    found = pricing.matching(
        [("Screen", "Light  Scratches"), ("screen", "light scratches"), ("BATTERY", "Under 80%"), ("body", "x")],
        table,
    )
    assert [d.question for d in found] == ["screen", "battery"]
    assert pricing.grid_lock(CarrierLock.UNKNOWN) is CarrierLock.LOCKED
    assert pricing.grid_lock(None) is CarrierLock.LOCKED
    assert pricing.grid_lock(CarrierLock.UNLOCKED) is CarrierLock.UNLOCKED


@given(st.text(max_size=400))
def test_any_text_reads_as_rows_or_refusals(text: str) -> None:
    for parse in (csv_rows.catalog, csv_rows.registry):
        parsed = parse(text)
        assert all(refusal.line >= 0 and refusal.reason for refusal in parsed.refused)
    for parse_money in (csv_rows.prices, csv_rows.deductions):
        parsed = parse_money(text, "USD")
        assert all(refusal.reason for refusal in parsed.refused)


@given(st.lists(st.sampled_from(["PHONE", "phone", "TABLET", "x", ""]), min_size=1, max_size=30))
def test_every_data_line_is_either_imported_or_refused(types: list[str]) -> None:
    lines = ["type,brand,model"] + [f"{t},Acme,Model {i}" for i, t in enumerate(types)]
    parsed = csv_rows.catalog("\n".join(lines) + "\n")
    counted = {line for line, _ in parsed.rows} | {r.line for r in parsed.refused}
    expected = {i + 2 for i, t in enumerate(types)}
    assert counted == expected
    assert {line for line, _ in parsed.rows} == {i + 2 for i, t in enumerate(types) if t.upper() in ("PHONE", "TABLET")}
