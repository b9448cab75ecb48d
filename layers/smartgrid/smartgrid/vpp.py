"""The virtual power plant (story 17): what enrolled houses can offer, how an order is split
among them, and what each delivered. Pure: no AWS, no clock. Energies are whole mWh.

Rules (where the issue left them open):
- A house offers, for a sell order, its battery's energy above the reserve it set, at most
  its discharge rate, plus its surplus (its production beyond its consumption over its
  latest judged tick, taken to go on over the order); for a buy order, its battery's room, at most its charge
  rate. A house that is not enrolled offers nothing.
- An order delivers `energyWh` evenly over the ticks of [start, end); its power,
  energyWh over the window, must not exceed `powerW`.
- The split: pro rata of each house's available energy, capped by what its rate moves over
  the window, water-filled (a capped house's excess goes to the others, pro rata again);
  each house's share is spread evenly over the ticks, so no house ever exceeds its rate.
- Delivered, per tick and house: for a sell order, the energy the house exported (sold) over
  the tick, up to its setpoint; for a buy order, what its battery took (charge), up to its
  setpoint. Judged from real-energy-output's tick (energy.output.community).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from smartgrid.batteries import max_energy_mwh
from smartgrid.events import HouseEnergy
from smartgrid.models import Strict
from smartgrid.units import mwh_to_wh

MAX_ORDER_TICKS = 24 * 60  # an order spans at most a day of ticks


class Side(StrEnum):
    SELL = "sell"
    BUY = "buy"


# HTTP bodies ------------------------------------------------------------------------------
class EnrollmentBody(Strict):
    """`PUT /houses/{houseId}/vpp`."""

    enrolled: bool
    reserveWh: float = Field(
        0.0, ge=0, le=10_000_000, allow_inf_nan=False, description="kept in the battery for the house"
    )


class Enrollment(BaseModel):
    houseId: str
    enrolled: bool = False
    reserveWh: float = 0.0
    updatedAt: str | None = Field(None, description="the grid's time of the last change")


class OrderRequest(Strict):
    """`POST /vpp/orders`: energy delivered evenly over [start, end), both on tick boundaries."""

    side: Side
    energyWh: Annotated[float, Field(gt=0, le=100_000_000, allow_inf_nan=False)]
    powerW: Annotated[float, Field(gt=0, le=100_000_000, allow_inf_nan=False, description="at most")]
    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Amount(BaseModel):
    energyWh: float
    powerW: float


class CommunityCapacity(BaseModel):
    communityId: str
    houses: int = Field(description="enrolled houses")
    sell: Amount = Field(description="battery energy above reserves, discharge rates plus surplus power")
    buy: Amount = Field(description="battery room, charge rates")


class Capacity(BaseModel):
    at: str = Field(description="the grid's time")
    total: CommunityCapacity
    communities: list[CommunityCapacity]


# Offers ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class HouseResources:
    """What an enrolled house has now."""

    house_id: str
    community_id: str
    reserve_mwh: int
    stored_mwh: int = 0  # its battery's latest state (0: no battery)
    capacity_mwh: int = 0
    max_charge_w: float = 0.0
    max_discharge_w: float = 0.0
    surplus_w: float = 0.0  # production beyond consumption over its latest judged tick

    @property
    def above_reserve_mwh(self) -> int:
        return max(0, self.stored_mwh - self.reserve_mwh)

    @property
    def room_mwh(self) -> int:
        return max(0, self.capacity_mwh - self.stored_mwh)

    def sell_power_w(self) -> float:
        return (self.max_discharge_w if self.above_reserve_mwh else 0.0) + self.surplus_w

    def buy_power_w(self) -> float:
        return self.max_charge_w if self.room_mwh else 0.0


@dataclass(frozen=True)
class Offer:
    """What a house can give to an order over its window: energy, and per tick at most."""

    house_id: str
    available_mwh: int
    per_tick_mwh: int

    def cap_mwh(self, ticks: int) -> int:
        return min(self.available_mwh, self.per_tick_mwh * ticks)


def offer(house: HouseResources, side: Side, ticks: int, tick_minutes: int) -> Offer:
    if side is Side.SELL:
        surplus = max_energy_mwh(house.surplus_w, tick_minutes)
        battery = max_energy_mwh(house.max_discharge_w, tick_minutes) if house.above_reserve_mwh else 0
        return Offer(house.house_id, house.above_reserve_mwh + surplus * ticks, battery + surplus)
    charge = max_energy_mwh(house.max_charge_w, tick_minutes) if house.room_mwh else 0
    return Offer(house.house_id, house.room_mwh, charge)


def window_capacity(offers: Sequence[Offer], ticks: int) -> int:
    return sum(o.cap_mwh(ticks) for o in offers)


def community_capacity(community_id: str, houses: Sequence[HouseResources]) -> CommunityCapacity:
    return CommunityCapacity(
        communityId=community_id,
        houses=len(houses),
        sell=Amount(
            energyWh=mwh_to_wh(sum(h.above_reserve_mwh for h in houses)),
            powerW=sum(h.sell_power_w() for h in houses),
        ),
        buy=Amount(
            energyWh=mwh_to_wh(sum(h.room_mwh for h in houses)), powerW=sum(h.buy_power_w() for h in houses)
        ),
    )


# The split ------------------------------------------------------------------------------
def _largest_remainder(total: int, weights: Mapping[str, int]) -> dict[str, int]:
    """`total` split in whole mWh in proportion to the weights (the remainders to the largest
    fractions, ties by id), summing exactly to `total`."""
    weight = sum(weights.values())
    if weight <= 0:
        return dict.fromkeys(weights, 0)
    floors = {k: total * w // weight for k, w in weights.items()}
    left = total - sum(floors.values())
    by_fraction = sorted(weights, key=lambda k: (-(total * weights[k] % weight), k))
    for key in by_fraction[:left]:
        floors[key] += 1
    return floors


def split(energy_mwh: int, offers: Sequence[Offer], ticks: int) -> dict[str, int]:
    """Each house's share of the order (only houses with a share): pro rata of its available
    energy, capped by its rate over the window, water-filled. `energy_mwh` must fit the
    window capacity."""
    caps = {o.house_id: o.cap_mwh(ticks) for o in offers if o.cap_mwh(ticks) > 0}
    weights = {o.house_id: o.available_mwh for o in offers if o.house_id in caps}
    shares: dict[str, int] = {}
    left = energy_mwh
    while left > 0 and weights:
        tentative = _largest_remainder(left, weights)
        capped = {h for h, share in tentative.items() if share >= caps[h]}
        if not capped:
            shares.update(tentative)
            break
        for house in capped:
            shares[house] = caps[house]
            left -= caps[house]
            del weights[house]
    return {h: s for h, s in shares.items() if s > 0}


def portion(mwh: int, count: int, index: int) -> int:
    """The `index`-th of `count` even parts of an energy (the remainder on the first parts)."""
    base, rest = divmod(mwh, count)
    return base + (1 if index < rest else 0)


def order_ticks(start: datetime, end: datetime, tick_minutes: int) -> list[datetime]:
    ticks: list[datetime] = []
    moment = start
    while moment < end:
        ticks.append(moment)
        moment += timedelta(minutes=tick_minutes)
    return ticks


def delivered(side: Side, setpoint_mwh: int, energy: HouseEnergy) -> int:
    """What a house delivered to an order over a tick (see the module's rules)."""
    done = energy.soldMwh if side is Side.SELL else energy.batteryChargeMwh
    return max(0, min(setpoint_mwh, done))


@dataclass(frozen=True)
class Setpoint:
    """What a simulated house is asked to do over one tick: export (sell) or store (buy)
    `mwh`, never drawing its battery below `reserve_mwh` for it."""

    side: Side
    mwh: int
    reserve_mwh: int
