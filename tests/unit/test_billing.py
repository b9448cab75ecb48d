"""Bills without AWS: day-by-day prices, exact decimal amounts, adjustments, projections."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from smartgrid.billing import (
    Price,
    PriceList,
    bill,
    billed_so_far,
    days,
    differences,
    month_bounds,
    months_between,
    next_month,
    projection,
)

DEFAULT = Price(dt.date(1970, 1, 1), Decimal("0.00015"), Decimal("0.00010"))


def test_months_and_days() -> None:
    assert month_bounds("2026-02") == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert next_month("2026-12") == "2027-01"
    assert months_between("2026-11", "2027-02") == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert days(dt.date(2026, 2, 27), dt.date(2026, 3, 1)) == ["2026-02-27", "2026-02-28", "2026-03-01"]


def test_a_price_applies_from_its_day_on() -> None:
    change = Price(dt.date(2026, 3, 15), Decimal("0.0002"), Decimal("0.0001"))
    prices = PriceList(DEFAULT, [change])
    assert prices.at(dt.date(2026, 3, 14)) == DEFAULT
    assert prices.at(dt.date(2026, 3, 15)) == change
    assert prices.at(dt.date(2027, 1, 1)) == change


def test_a_bill_prices_each_day_at_its_price_and_rounds_to_the_cent() -> None:
    # Given 10 kWh bought on the 14th (0.00015 €/Wh) and 10 kWh on the 15th (0.0002 €/Wh), and
    # 3.333333 kWh sold on the 15th (0.0001 €/Wh)
    prices = PriceList(DEFAULT, [Price(dt.date(2026, 3, 15), Decimal("0.0002"), Decimal("0.0001"))])
    exchange = {"2026-03-14": (10_000_000, 0), "2026-03-15": (10_000_000, 3_333_333)}
    # When the month is billed
    made = bill("h-1", "2026-03", ["2026-03-14", "2026-03-15"], exchange, prices, final=True)
    # Then 1.50 + 2.00 due, 0.3333333 credited (0.33), exactly
    assert (made.boughtWh, made.soldWh) == (20_000.0, 3_333.333)
    assert (made.amountDue, made.amountCredited, made.total) == (
        Decimal("3.50"),
        Decimal("0.33"),
        Decimal("3.17"),
    )
    assert made.adjustment is None and made.final
    assert made.days == exchange


def test_late_readings_of_a_billed_month_are_an_adjustment_at_their_days_prices() -> None:
    # Given March billed with 1 kWh bought on the 31st
    march = bill(
        "h-1", "2026-03", ["2026-03-31"], {"2026-03-31": (1_000_000, 0)}, PriceList(DEFAULT), final=True
    )
    # When a reading of 2 kWh more for the 31st arrives after March closed
    charged = billed_so_far([march])
    late = differences(charged, {"2026-03-31": (3_000_000, 0)})
    april = bill(
        "h-1",
        "2026-04",
        ["2026-04-01"],
        {"2026-04-01": (0, 0)},
        PriceList(DEFAULT),
        final=True,
        adjusted=late,
    )
    # Then April carries it: 2 kWh at March's price, 0.30 €
    assert april.adjustment is not None
    assert (april.adjustment.days, april.adjustment.boughtWh, april.adjustment.amount) == (
        ["2026-03-31"],
        2000.0,
        Decimal("0.30"),
    )
    assert april.total == Decimal("0.30")
    # And once April is billed, nothing is left to adjust
    assert differences(billed_so_far([march, april]), {"2026-03-31": (3_000_000, 0)}) == {}


def test_the_projection_scales_what_the_month_did_so_far() -> None:
    partial = bill(
        "h-1",
        "2026-04",
        ["2026-04-01"],
        {"2026-04-01": (1_000_000, 500_000)},
        PriceList(DEFAULT),
        final=False,
    )
    # A tenth of the month elapsed: ten times as much
    seen = projection(partial, elapsed_minutes=4320, month_minutes=43200)
    assert (seen.boughtWh, seen.soldWh, seen.total) == (10_000.0, 5_000.0, Decimal("1.00"))
