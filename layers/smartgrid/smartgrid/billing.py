"""Bills (bill-api): what a house bought from the grid and sold to it, priced day by day.

Pure: no AWS. Energies are whole mWh; money is `Decimal`, exact until a bill rounds its
amounts to the cent (half to even), and a bill's total is the sum of its rounded lines, so
it adds up on paper.

- bought and sold are sums of each tick's exchange with the grid (real-energy-output: what
  the house's own production and battery did not cover, and the surplus it neither used nor
  stored), never netted over a day: a house that sells at noon and buys at night pays for the
  night and is credited for noon.
- Prices are effective-dated: a price applies to the days from its date on, until the next.
- A month's bill is closed once (`final`), stored, and never changes. A reading of a closed
  month that arrives later still counts in the stores: the next closed bill carries the
  difference, day by day, at those days' prices (`adjustment`).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from pydantic import BaseModel, Field

from smartgrid.units import mwh_to_wh

CENT = Decimal("0.01")
CURRENCY = "EUR"
EPOCH = dt.date(1970, 1, 1)

DailyExchange = Mapping[str, tuple[int, int]]  # date -> (bought mWh, sold mWh)


@dataclass(frozen=True, order=True)
class Price:
    effective: dt.date
    buy_per_wh: Decimal
    sell_per_wh: Decimal


class PriceList:
    """Prices by the day they take effect; the default applies before the first change."""

    def __init__(self, default: Price, changes: Iterable[Price] = ()) -> None:
        self.prices = sorted([default, *changes])

    def at(self, day: dt.date) -> Price:
        current = self.prices[0]
        for price in self.prices:
            if price.effective > day:
                break
            current = price
        return current


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """The first and last day of `YYYY-MM`."""
    year, number = (int(part) for part in month.split("-"))
    return dt.date(year, number, 1), dt.date(year, number, calendar.monthrange(year, number)[1])


def next_month(month: str) -> str:
    _, last = month_bounds(month)
    return month_of(last + dt.timedelta(days=1))


def days(first: dt.date, last: dt.date) -> list[str]:
    return [(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def months_between(first: str, last: str) -> list[str]:
    found = []
    month = first
    while month <= last:
        found.append(month)
        month = next_month(month)
    return found


@dataclass(frozen=True)
class Amounts:
    """Energies and their exact prices over some days."""

    bought_mwh: int = 0
    sold_mwh: int = 0
    due: Decimal = Decimal(0)
    credited: Decimal = Decimal(0)


def priced(exchange: DailyExchange, prices: PriceList) -> Amounts:
    bought = sold = 0
    due = credited = Decimal(0)
    for day, (bought_mwh, sold_mwh) in exchange.items():
        price = prices.at(dt.date.fromisoformat(day))
        bought += bought_mwh
        sold += sold_mwh
        due += Decimal(bought_mwh) / 1000 * price.buy_per_wh
        credited += Decimal(sold_mwh) / 1000 * price.sell_per_wh
    return Amounts(bought, sold, due, credited)


def differences(billed: DailyExchange, actual: DailyExchange) -> dict[str, tuple[int, int]]:
    """What the stores hold now beyond what was billed, for the days that changed."""
    found = {}
    for day, (bought, sold) in actual.items():
        before = billed.get(day, (0, 0))
        delta = (bought - before[0], sold - before[1])
        if delta != (0, 0):
            found[day] = delta
    return found


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


class Adjustment(BaseModel):
    """Late readings of months already billed: energy and amount, at their days' prices."""

    days: list[str] = Field(description="the days of earlier months whose totals changed")
    boughtWh: float
    soldWh: float
    amount: Decimal = Field(description="to pay (negative: credited)")


class Projection(BaseModel):
    """The current month at the pace it has had so far."""

    boughtWh: float
    soldWh: float
    total: Decimal


class VppShare(BaseModel):
    """What the house delivered to the virtual power plant's orders over the bill's days: part
    of its exchange with the grid above (sold energy credited at the sell price, bought energy
    charged at the buy price), shown apart, never counted twice."""

    soldWh: float = Field(description="exported for sell orders (included in soldWh)")
    boughtWh: float = Field(description="stored for buy orders (charged within boughtWh)")
    credited: Decimal = Field(description="soldWh at the days' sell prices (included in amountCredited)")
    charged: Decimal = Field(description="boughtWh at the days' buy prices (included in amountDue)")


def vpp_share(delivered: DailyExchange, prices: PriceList) -> VppShare | None:
    """The VPP line of a bill from what the house delivered per day (sold, bought mWh)."""
    if not any(sold or bought for sold, bought in delivered.values()):
        return None
    amounts = priced({day: (bought, sold) for day, (sold, bought) in delivered.items()}, prices)
    return VppShare(
        soldWh=mwh_to_wh(amounts.sold_mwh),
        boughtWh=mwh_to_wh(amounts.bought_mwh),
        credited=money(amounts.credited),
        charged=money(amounts.due),
    )


class Bill(BaseModel):
    houseId: str
    month: str
    fromDate: str = Field(description="first day billed (the registration day in the first month)")
    toDate: str = Field(description="last day billed (today for the current month)")
    boughtWh: float
    soldWh: float
    amountDue: Decimal
    amountCredited: Decimal
    adjustment: Adjustment | None = None
    total: Decimal = Field(description="amountDue - amountCredited + adjustment: to pay (negative: credited)")
    currency: str = CURRENCY
    final: bool = Field(description="true once the month is closed: it never changes afterwards")
    projection: Projection | None = Field(None, description="the current month only: projected to its end")
    vpp: VppShare | None = Field(None, description="its part in the virtual power plant's orders, if any")
    days: dict[str, tuple[int, int]] = Field(
        default_factory=dict, exclude=True, description="what it billed per day (mWh), own and adjusted"
    )


def bill(
    house_id: str,
    month: str,
    billed_days: Sequence[str],
    exchange: DailyExchange,
    prices: PriceList,
    *,
    final: bool,
    adjusted: DailyExchange | None = None,
) -> Bill:
    """The bill of `billed_days` of `month` (and of the late differences `adjusted`)."""
    own = priced({d: exchange.get(d, (0, 0)) for d in billed_days}, prices)
    due, credited = money(own.due), money(own.credited)
    adjustment = None
    total = due - credited
    if adjusted:
        late = priced(adjusted, prices)
        amount = money(late.due) - money(late.credited)
        adjustment = Adjustment(
            days=sorted(adjusted),
            boughtWh=mwh_to_wh(late.bought_mwh),
            soldWh=mwh_to_wh(late.sold_mwh),
            amount=amount,
        )
        total += amount
    covered = {d: exchange.get(d, (0, 0)) for d in billed_days}
    return Bill(
        houseId=house_id,
        month=month,
        fromDate=billed_days[0],
        toDate=billed_days[-1],
        boughtWh=mwh_to_wh(own.bought_mwh),
        soldWh=mwh_to_wh(own.sold_mwh),
        amountDue=due,
        amountCredited=credited,
        adjustment=adjustment,
        total=total,
        final=final,
        days={**covered, **(adjusted or {})},
    )


def billed_so_far(bills: Iterable[Bill]) -> dict[str, tuple[int, int]]:
    """Per day, what closed bills have charged in all (their own days and adjustments)."""
    total: dict[str, tuple[int, int]] = {}
    for closed in bills:
        for day, (bought, sold) in closed.days.items():
            before = total.get(day, (0, 0))
            total[day] = (before[0] + bought, before[1] + sold)
    return total


def projection(partial: Bill, elapsed_minutes: int, month_minutes: int) -> Projection:
    """The month's bill if it goes on as it went: energies scaled by the month's share elapsed."""
    factor = Decimal(month_minutes) / Decimal(max(elapsed_minutes, 1))
    return Projection(
        boughtWh=float((Decimal(str(partial.boughtWh)) * factor).quantize(Decimal("0.001"))),
        soldWh=float((Decimal(str(partial.soldWh)) * factor).quantize(Decimal("0.001"))),
        total=money((partial.amountDue - partial.amountCredited) * factor),
    )
