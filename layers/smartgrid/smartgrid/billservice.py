"""bill-api's service: a house's bills, and the closing of months (see `billing`).

A month closes once its last tick is past the lateness window (k ticks, as frames) at the
START of a clock move: the move that jumps past a month end is the one whose readings the
simulators post, so its month is closed on the next move, when those readings are in.
Closing stores every house's bill of the month once (a house registered later has none),
then moves the cursor; a redo after a crash finds the bills stored and skips them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from smartgrid.billing import (
    Bill,
    DailyExchange,
    Price,
    PriceList,
    bill,
    billed_so_far,
    days,
    differences,
    month_bounds,
    month_of,
    months_between,
    next_month,
    projection,
    vpp_share,
)
from smartgrid.errors import NotFound
from smartgrid.gridtime import parse_instant
from smartgrid.models import HouseRecord
from smartgrid.stores.bills import BillsStore

Exchange = Callable[[str, Sequence[str]], DailyExchange]
# Per day, what the house delivered to the VPP's orders: (sold, bought) mWh (the VPP's, read-only).
VppDeliveries = Callable[[str, Sequence[str]], DailyExchange]


class BillingService:
    def __init__(
        self,
        store: BillsStore,
        exchange: Exchange,
        house: Callable[[str], HouseRecord | None],
        houses: Callable[[], list[HouseRecord]],
        default_price: Price,
        lateness: timedelta,
        vpp: VppDeliveries | None = None,
    ) -> None:
        self.vpp = vpp
        self.store = store
        self.exchange = exchange
        self.house = house
        self.houses = houses
        self.default_price = default_price
        self.lateness = lateness

    def price_list(self) -> PriceList:
        return PriceList(self.default_price, self.store.prices())

    # Reading bills ---------------------------------------------------------------------------
    def month_bill(self, house_id: str, month: str, now: datetime, prices: PriceList | None = None) -> Bill:
        """The month's bill: as closed, or as it stands (with the projection if it is the current month)."""
        stored = self.store.get(house_id, month)
        if stored is not None:
            return stored
        house = self._require(house_id)
        registered = parse_instant(house.registeredAt).date()
        first, last = month_bounds(month)
        today = now.date()
        if first > today:
            raise NotFound(f"{month} has not begun", field="month")
        if last < registered:
            raise NotFound(f"the house registered on {registered}, after {month}", field="month")
        billed = days(max(first, registered), min(last, today))
        partial = self._bill(house_id, month, billed, prices or self.price_list(), final=False)
        if month != month_of(today):
            return partial
        month_start = datetime(first.year, first.month, first.day, tzinfo=now.tzinfo)
        elapsed = int((now - month_start).total_seconds() // 60)
        month_minutes = (last - first).days * 1440 + 1440
        return partial.model_copy(update={"projection": projection(partial, elapsed, month_minutes)})

    def bills(self, house_id: str, now: datetime) -> list[Bill]:
        """Every month's bill since the house registered, the current month's last."""
        house = self._require(house_id)
        prices = self.price_list()
        first = month_of(parse_instant(house.registeredAt).date())
        return [
            self.month_bill(house_id, m, now, prices) for m in months_between(first, month_of(now.date()))
        ]

    def _require(self, house_id: str) -> HouseRecord:
        house = self.house(house_id)
        if house is None:
            raise NotFound(f"no house {house_id}", field="houseId")
        return house

    def _bill(self, house_id: str, month: str, billed: list[str], prices: PriceList, *, final: bool) -> Bill:
        earlier = self.store.closed(house_id, before=month)
        charged = billed_so_far(earlier)
        checked = sorted(set(billed) | set(charged))
        actual = self.exchange(house_id, checked)
        late = differences(charged, {d: actual.get(d, (0, 0)) for d in charged})
        found = bill(house_id, month, billed, actual, prices, final=final, adjusted=late)
        share = vpp_share(self.vpp(house_id, billed), prices) if self.vpp else None
        return found.model_copy(update={"vpp": share}) if share else found

    # Closing months --------------------------------------------------------------------------
    def close_due(self, move_start: datetime) -> list[str]:
        """Closes, in order, every month whose last tick is past the lateness window at
        `move_start`; the months this call closed."""
        cursor = self.store.cursor()
        if cursor is None:
            self.store.start(month_of(move_start.date()))
            cursor = self.store.cursor()
            assert cursor is not None
        first, last_closed = cursor
        month = next_month(last_closed) if last_closed else first
        closed: list[str] = []
        while self._over(month, move_start):
            self.close_month(month)
            self.store.mark_closed(month, last_closed)
            closed.append(month)
            last_closed, month = month, next_month(month)
        return closed

    def _over(self, month: str, moment: datetime) -> bool:
        _, last = month_bounds(month)
        end = datetime(last.year, last.month, last.day, tzinfo=moment.tzinfo) + dt.timedelta(days=1)
        return end + self.lateness <= moment

    def close_month(self, month: str) -> int:
        """Stores the month's bill of every house registered by its end; how many were new."""
        prices = self.price_list()
        first, last = month_bounds(month)
        stored = 0
        for house in self.houses():
            registered = parse_instant(house.registeredAt).date()
            if registered > last or self.store.get(house.houseId, month) is not None:
                continue
            billed = days(max(first, registered), last)
            stored += self.store.put_once(self._bill(house.houseId, month, billed, prices, final=True))
        return stored
