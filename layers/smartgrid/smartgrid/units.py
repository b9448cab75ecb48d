"""Energy is counted in whole milliwatt-hours (mWh) inside the grid, exact to the unit.

The HTTP API speaks watt-hours with up to three decimals; conversion happens at the edge.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

MWH_PER_WH = 1000
WH_QUANTUM = Decimal("0.001")


def wh_to_mwh(wh: Decimal | float | int) -> int:
    exact = Decimal(str(wh)).quantize(WH_QUANTUM, rounding=ROUND_HALF_EVEN)
    return int(exact * MWH_PER_WH)


def mwh_to_wh(mwh: int) -> float:
    return float(Decimal(mwh) / MWH_PER_WH)


def watts_over_minutes_mwh(watts: float, minutes: int) -> int:
    """Energy of a constant power over a number of minutes."""
    return wh_to_mwh(Decimal(str(watts)) * minutes / 60)
