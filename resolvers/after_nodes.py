"""`node(id)` for what follows a buy order: payouts, revised offers and returns for whoever sees
the quote; units for the organization's staff only."""

from __future__ import annotations

from graphql_api.context import Info
from graphql_api.loaders_after import fresh_payout
from graphql_api.types.common import Node
from graphql_api.types.inventory import InventoryUnit, ReturnShipment
from graphql_api.types.payout import Payout
from graphql_api.types.quote import load_quote
from graphql_api.types.revised_offer import revised_offers_of
from models.buy_order import BuyOrder
from models.inventory import ReturnShipment as ReturnRow
from models.payout import Payout as PayoutRow
from models.revised_offer import RevisedOffer as RevisionRow

TYPES = frozenset({"Payout", "InventoryUnit", "RevisedOffer", "ReturnShipment"})


async def _visible_order(info: Info, buy_order_id: int) -> BuyOrder | None:
    order = await BuyOrder.filter(id=buy_order_id).first()
    if order is None or await load_quote(info, order.quote_id) is None:
        return None
    return order


async def after_node(info: Info, type_name: str, pk: int) -> Node | None:
    after = info.context.loaders.after
    if type_name == "InventoryUnit":
        caller = info.context.caller
        unit = await after.unit_by_id.load(pk)
        if unit is None or not caller.is_staff or unit.organization_id != caller.organization_id:
            return None
        order = await BuyOrder.get(id=unit.buy_order_id)
        return InventoryUnit.from_record(unit, order.currency_code)
    if type_name == "Payout":
        row = await PayoutRow.filter(id=pk).values("buy_order_id")
        if not row or await _visible_order(info, row[0]["buy_order_id"]) is None:
            return None
        return Payout.from_record(await fresh_payout(pk))
    if type_name == "RevisedOffer":
        row = await RevisionRow.filter(id=pk).values("quote_id")
        if not row or await load_quote(info, row[0]["quote_id"]) is None:
            return None
        return next(
            (r for r in await revised_offers_of(info, row[0]["quote_id"]) if r._record.id == pk),
            None,
        )
    if type_name == "ReturnShipment":
        row = await ReturnRow.filter(id=pk).values("buy_order_id")
        if not row or await _visible_order(info, row[0]["buy_order_id"]) is None:
            return None
        returns = await after.returns_by_order.load(row[0]["buy_order_id"])
        return next((ReturnShipment.from_record(r) for r in returns if r.id == pk), None)
    return None
