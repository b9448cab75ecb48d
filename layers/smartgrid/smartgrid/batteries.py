"""Batteries (story 15): what a house's battery is, who may see it, and the physics every
reported state must obey.

A battery stores at most `capacity` and moves at most `maxChargeW` in and `maxDischargeW`
out: between two states `elapsed` apart, what it holds may rise by at most
maxChargeW * elapsed and fall by at most maxDischargeW * elapsed. Energies are whole mWh;
the bounds are rounded down (a simulator that sums per-tick bounds never exceeds the bound
of their sum) and the grid tolerates a few mWh more for a device's own rounding.

One battery per house, with an id derived from the house (`b-<houseId>`): two concurrent
registrations agree on it, and the owner of a battery is known from its id alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field

from smartgrid.access import OwnerLookup, Principal, Role, Rule
from smartgrid.errors import Conflict, Unprocessable
from smartgrid.gridtime import iso
from smartgrid.models import Strict
from smartgrid.readings import Timestamp
from smartgrid.units import mwh_to_wh, wh_to_mwh

BATTERY_PREFIX = "b-"
DEFAULT_CAPACITY_WH = 1000.0
DEFAULT_RATE_W = 50.0
ROUNDING_TOLERANCE_MWH = 5  # a device's own rounding, over any elapsed time
MAX_STATES = 1000  # states a batch or a read may hold

CapacityWh = Annotated[
    float, Field(gt=0, le=10_000_000, allow_inf_nan=False, description="what the battery holds at most (Wh)")
]
RateW = Annotated[float, Field(gt=0, le=1_000_000, allow_inf_nan=False, description="watts")]
# Any sign here: a stored energy below 0 is a physics refusal (422 naming storedWh), per item.
StoredWh = Annotated[
    Decimal,
    Field(ge=-10_000_000, le=10_000_000, allow_inf_nan=False, description="what the battery holds (Wh)"),
]
BatteryId = Annotated[str, Field(min_length=3, max_length=70)]


def battery_id_of(house_id: str) -> str:
    return BATTERY_PREFIX + house_id


def house_of(battery_id: str) -> str | None:
    return battery_id[len(BATTERY_PREFIX) :] if battery_id.startswith(BATTERY_PREFIX) else None


@dataclass(frozen=True)
class BatteryOwner(Rule):
    """The house that owns the battery named by a path parameter, with its own token."""

    param: str = "batteryId"

    @property
    def label(self) -> str:  # type: ignore[override]
        return f"the house that owns the battery {{{self.param}}}"

    def admits(self, principal: Principal, path: Mapping[str, Any], owners: OwnerLookup) -> bool:
        battery_id = path.get(self.param)
        return (
            principal.role is Role.HOUSE
            and principal.id is not None
            and battery_id == battery_id_of(principal.id)
        )


BATTERY_OWNER: Rule = BatteryOwner()


# Physics --------------------------------------------------------------------------------
class PhysicsViolation(Unprocessable):
    """A state no battery can be in: below 0 or above its capacity, or moved faster than its
    rates. Refused (422 naming storedWh), and reported as a faulty meter's (`reading.refused`)."""


@dataclass(frozen=True)
class BatterySpec:
    capacity_mwh: int
    max_charge_w: float
    max_discharge_w: float


@dataclass(frozen=True)
class State:
    """What a battery holds at an instant (a tick boundary)."""

    at: datetime
    mwh: int


def max_energy_mwh(watts: float, minutes: float) -> int:
    """What a power moves over a time, rounded down to the mWh."""
    exact = Decimal(str(watts)) * Decimal(str(minutes)) * 1000 / 60
    return int(exact.to_integral_value(rounding=ROUND_FLOOR))


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"


def judge(
    spec: BatterySpec,
    previous: State | None,
    state: State,
    stored_then: int | None,
    now: datetime,
) -> Verdict:
    """Whether `state` may follow `previous` (the battery's latest accepted state):
    a duplicate (the same state again), accepted, or refused with a GridError naming the field.
    `stored_then` is what was accepted at `state.at` when that is before `previous`."""
    if previous is not None and state.at <= previous.at:
        known = previous.mwh if state.at == previous.at else stored_then
        if known == state.mwh:
            return Verdict.DUPLICATE
        if known is not None:
            raise Conflict(
                f"a different state for {iso(state.at)} was accepted before ({mwh_to_wh(known)} Wh)",
                field="timestamp",
            )
        raise Conflict(f"states come in time order: the latest is at {iso(previous.at)}", field="timestamp")
    if state.at > now:
        raise Unprocessable(f"{iso(state.at)} is in the grid's future (now {iso(now)})", field="timestamp")
    if not 0 <= state.mwh <= spec.capacity_mwh:
        raise PhysicsViolation(
            f"storedWh must be between 0 and the capacity, {mwh_to_wh(spec.capacity_mwh)} Wh",
            field="storedWh",
        )
    if previous is not None:
        lowest, highest = reachable(spec, previous, state.at)
        if not lowest - ROUNDING_TOLERANCE_MWH <= state.mwh <= highest + ROUNDING_TOLERANCE_MWH:
            minutes = (state.at - previous.at).total_seconds() / 60
            raise PhysicsViolation(
                f"storedWh must be between {mwh_to_wh(lowest)} and {mwh_to_wh(highest)} Wh: "
                f"{mwh_to_wh(previous.mwh)} Wh at {iso(previous.at)}, {minutes:g} min before, "
                f"at most {spec.max_charge_w:g} W in and {spec.max_discharge_w:g} W out",
                field="storedWh",
            )
    return Verdict.ACCEPTED


def reachable(spec: BatterySpec, previous: State, at: datetime) -> tuple[int, int]:
    """What the battery may hold at `at`, from `previous`, within its capacity and rates."""
    minutes = (at - previous.at).total_seconds() / 60
    highest = min(spec.capacity_mwh, previous.mwh + max_energy_mwh(spec.max_charge_w, minutes))
    lowest = max(0, previous.mwh - max_energy_mwh(spec.max_discharge_w, minutes))
    return lowest, highest


# HTTP -----------------------------------------------------------------------------------
class BatteryRegistration(Strict):
    """`POST /houses/{houseId}/battery`."""

    capacityWh: CapacityWh = DEFAULT_CAPACITY_WH
    maxChargeW: RateW = DEFAULT_RATE_W
    maxDischargeW: RateW = DEFAULT_RATE_W


class StateBody(Strict):
    """`POST /batteries/{batteryId}/state`: what the battery holds at the end of a tick."""

    timestamp: Timestamp = Field(description="a tick boundary, ISO 8601 (UTC if no zone)")
    storedWh: StoredWh


class BatchState(StateBody):
    batteryId: BatteryId


class StatesBatch(Strict):
    """`POST /batteries/states`: a head-end's batch, each battery's states in time order."""

    states: list[BatchState] = Field(min_length=1, max_length=MAX_STATES)


class StateView(BaseModel):
    timestamp: str
    storedWh: float


class BatteryView(BaseModel):
    batteryId: str
    houseId: str
    capacityWh: float
    maxChargeW: float
    maxDischargeW: float
    registeredAt: str = Field(description="the grid's time when it was registered")
    latestState: StateView | None = Field(None, description="the latest state accepted, if any")


def stored_wh(body: StateBody) -> int:
    return wh_to_mwh(body.storedWh)


def state_view(state: State) -> StateView:
    return StateView(timestamp=iso(state.at), storedWh=mwh_to_wh(state.mwh))
