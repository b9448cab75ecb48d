"""A simulated house: its objects, and the energy each uses (or makes) over an interval.

Pure: no AWS, no clock. Energies are whole mWh, computed once per interval from the power at
the interval's midpoint (a profile evaluated once an hour for a coarse reading), so what the
house reports is exactly what the grid stores.

Objects:
- `base`: always-on load (fridge, standby); `appliance`: switched by the household;
- `schedulable`: a flexible load (EV, washing machine) that needs `energyWh` by `deadline`.
  Its smart box asks consumption-scheduler for a plan and draws exactly in the plan's slots
  (so a shed object stops, and resumes when its plan says); without a plan yet it waits.
  Enabling it again (after disabling it) starts a new cycle;
- `producer`: makes energy (solar panels, a DIY reactor): `powerW` is its peak.

A house that produces may have a battery: over each interval the house's surplus
(production - consumption) charges it and a deficit draws it, never above its capacity,
below zero, or faster than its rates (see `battery_step`); it reports what the battery holds
at the end of each interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from smartgrid.batteries import (
    DEFAULT_CAPACITY_WH,
    DEFAULT_RATE_W,
    BatterySpec,
    CapacityWh,
    RateW,
    State,
    max_energy_mwh,
)
from smartgrid.gridtime import iso, parse_instant
from smartgrid.models import Location, Policy, Strict
from smartgrid.planning import Slot, energy_between, seconds_for
from smartgrid.readings import ObjectName
from smartgrid.simulation.profiles import Profile, factor
from smartgrid.simulation.timeline import Interval
from smartgrid.units import mwh_to_wh, watts_over_minutes_mwh, wh_to_mwh
from smartgrid.vpp import Setpoint, Side

DEFAULT_CHARGE_HOURS = 5  # the seed's default: a schedulable object charges 5 h
MAX_OBJECTS = 100

PowerW = Annotated[
    float,
    Field(ge=0, le=1_000_000, allow_inf_nan=False, description="rated power (W); a producer's peak"),
]
EnergyWh = Annotated[float, Field(gt=0, le=10_000_000, allow_inf_nan=False, description="watt-hours")]


class ObjectKind(StrEnum):
    BASE = "base"
    APPLIANCE = "appliance"
    SCHEDULABLE = "schedulable"
    PRODUCER = "producer"


class ObjectSpec(Strict):
    """An object as staff describe it (`POST /sim/houses`, `POST …/objects`)."""

    name: ObjectName
    kind: ObjectKind
    powerW: PowerW
    enabled: bool = True
    profile: Profile = Field(Profile.FLAT, description="how its power varies over the day")
    energyWh: EnergyWh | None = Field(
        None, description=f"schedulable only: energy per cycle (default {DEFAULT_CHARGE_HOURS} h at powerW)"
    )
    deadline: AwareDatetime | None = Field(None, description="schedulable only: done by then")

    @model_validator(mode="after")
    def _schedulable_only(self) -> Self:
        if self.kind is not ObjectKind.SCHEDULABLE and (self.energyWh is not None or self.deadline):
            raise ValueError("energyWh and deadline are for schedulable objects only")
        return self


class ObjectChange(Strict):
    """`PATCH …/objects/{name}`: switch it, change its power (or a schedulable's cycle)."""

    enabled: bool | None = None
    powerW: PowerW | None = None
    energyWh: EnergyWh | None = None
    deadline: AwareDatetime | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if all(v is None for v in (self.enabled, self.powerW, self.energyWh, self.deadline)):
            raise ValueError("give enabled, powerW, energyWh or deadline")
        return self


class SimObject(BaseModel):
    """An object as the simulator keeps it."""

    name: str
    kind: ObjectKind
    powerW: float
    enabled: bool = True
    profile: Profile = Profile.FLAT
    energyWh: float | None = None
    deadline: str | None = None
    cycle: int = Field(0, description="schedulable: how many times it was (re)enabled")

    @classmethod
    def of(cls, spec: ObjectSpec) -> SimObject:
        energy = spec.energyWh
        if spec.kind is ObjectKind.SCHEDULABLE and energy is None:
            energy = spec.powerW * DEFAULT_CHARGE_HOURS
        return cls(
            name=spec.name,
            kind=spec.kind,
            powerW=spec.powerW,
            enabled=spec.enabled,
            profile=spec.profile,
            energyWh=energy,
            deadline=iso(spec.deadline) if spec.deadline else None,
        )

    def changed(self, change: ObjectChange) -> SimObject:
        update: dict[str, object] = {}
        if change.powerW is not None:
            update["powerW"] = change.powerW
        if change.enabled is not None:
            update["enabled"] = change.enabled
            if change.enabled and not self.enabled and self.kind is ObjectKind.SCHEDULABLE:
                update["cycle"] = self.cycle + 1  # plugged in again: a new cycle
        if self.kind is not ObjectKind.SCHEDULABLE and (change.energyWh is not None or change.deadline):
            raise ValueError("energyWh and deadline are for schedulable objects only")
        if change.energyWh is not None:
            update["energyWh"] = change.energyWh
        if change.deadline is not None:
            update["deadline"] = iso(change.deadline)
        return self.model_copy(update=update)

    @property
    def target_mwh(self) -> int:
        return wh_to_mwh(self.energyWh or 0)


class BatteryRequest(Strict):
    """A battery as staff fit it (`POST /sim/houses/{houseId}/battery`, or `battery` of
    `POST /sim/houses`): registered through the grid's API with the house's own token."""

    capacityWh: CapacityWh = DEFAULT_CAPACITY_WH
    maxChargeW: RateW = DEFAULT_RATE_W
    maxDischargeW: RateW = DEFAULT_RATE_W
    storedWh: float = Field(
        0.0, ge=0, le=10_000_000, allow_inf_nan=False, description="what it holds at first"
    )

    @model_validator(mode="after")
    def _within_capacity(self) -> Self:
        if self.storedWh > self.capacityWh:
            raise ValueError("storedWh is more than capacityWh")
        return self


class SimBattery(BaseModel):
    """A house's battery as the simulator keeps it (what it holds moves with the reports)."""

    batteryId: str
    capacityMwh: int
    maxChargeW: float
    maxDischargeW: float
    initialMwh: int = Field(description="what it held when installed")
    installedAt: str = Field(description="the grid instant of its first state")

    @property
    def spec(self) -> BatterySpec:
        return BatterySpec(self.capacityMwh, self.maxChargeW, self.maxDischargeW)


class SimHouse(BaseModel):
    """A simulated house: the device's identity (its token too: it is the device) and objects."""

    houseId: str
    name: str
    location: Location
    acceptedPolicies: list[Policy] = Field(default_factory=list)
    token: str
    producerId: str | None = None
    objects: list[SimObject] = Field(default_factory=list)
    battery: SimBattery | None = None
    createdAt: str

    def object(self, name: str) -> SimObject | None:
        return next((o for o in self.objects if o.name == name), None)

    @property
    def has_producing_objects(self) -> bool:
        return any(o.kind is ObjectKind.PRODUCER for o in self.objects)


class Progress(BaseModel):
    """A schedulable object's energy delivered in its current cycle."""

    cycle: int
    mwh: int


class LastReadings(BaseModel):
    timestamp: str
    durationMinutes: int
    objects: dict[str, float] = Field(description="Wh per consuming object")
    productionWh: float | None = Field(None, description="the house's production, if it produces")


class PlanMark(BaseModel):
    """What a schedulable object's plan was asked for: a change asks again."""

    cycle: int
    powerW: float
    energyWh: float | None
    deadline: str | None

    @classmethod
    def of(cls, obj: SimObject) -> PlanMark:
        return cls(cycle=obj.cycle, powerW=obj.powerW, energyWh=obj.energyWh, deadline=obj.deadline)


class SimHouseState(BaseModel):
    """What the reports move on: written by the report function only."""

    reportedUntil: str = Field(description="the house has reported every tick before this instant")
    delivered: dict[str, Progress] = Field(default_factory=dict)
    lastReadings: LastReadings | None = None
    planned: dict[str, PlanMark] = Field(default_factory=dict, description="objects with a plan asked for")
    batteryMwh: int | None = Field(
        None, description="what its battery holds at reportedUntil (None: as installed)"
    )


@dataclass(frozen=True)
class ObjectSchedule:
    """A schedulable object's plan as its box follows it."""

    slots: tuple[Slot, ...]
    finishes_at: datetime


DEFAULT_DEADLINE = timedelta(hours=24)


def plan_request(obj: SimObject, done_mwh: int, now: datetime) -> dict[str, object]:
    """The body of `POST …/objects/{name}/schedule` for what the object still needs: by its
    deadline, or within a day; never a deadline it could not meet at full power."""
    left = obj.target_mwh - done_mwh
    deadline = parse_instant(obj.deadline) if obj.deadline else now + DEFAULT_DEADLINE
    soonest = now + timedelta(seconds=seconds_for(left, obj.powerW))
    return {
        "energyWh": mwh_to_wh(left),
        "maxPowerW": obj.powerW,
        "earliestStart": iso(now),
        "deadline": iso(max(deadline, soonest)),
    }


def done_mwh(obj: SimObject, delivered: dict[str, Progress]) -> int:
    progress = delivered.get(obj.name)
    return progress.mwh if progress is not None and progress.cycle == obj.cycle else 0


def needs_plan(obj: SimObject, delivered: dict[str, Progress]) -> bool:
    """An enabled schedulable object that still needs energy in its cycle."""
    return (
        obj.kind is ObjectKind.SCHEDULABLE
        and obj.enabled
        and obj.powerW > 0
        and done_mwh(obj, delivered) < obj.target_mwh
    )


@dataclass(frozen=True)
class HouseReading:
    """One interval of a house: each consuming object's energy, and its production (mWh)."""

    interval: Interval
    objects: dict[str, int]
    production_mwh: int

    def last_readings(self, produces: bool) -> LastReadings:
        return LastReadings(
            timestamp=self.interval.timestamp,
            durationMinutes=self.interval.minutes,
            objects={name: mwh_to_wh(mwh) for name, mwh in self.objects.items()},
            productionWh=mwh_to_wh(self.production_mwh) if produces else None,
        )


def power_w(obj: SimObject, moment: datetime, location: Location) -> float:
    """The object's power at `moment` if it is on (its profile applied to its rated power)."""
    return obj.powerW * factor(obj.profile, moment, location.lat, location.lon)


def energy_mwh(obj: SimObject, interval: Interval, location: Location) -> int:
    """The energy of the object over the interval, from its power at the interval's midpoint."""
    return watts_over_minutes_mwh(power_w(obj, interval.midpoint, location), interval.minutes)


def planned_mwh(schedule: ObjectSchedule | None, interval: Interval, left: int) -> int:
    """What a schedulable object draws over the interval: its plan's energy there (all that
    is left in the interval where the plan finishes, so rounding never leaves a remainder)."""
    if schedule is None or left <= 0:
        return 0
    if interval.start < schedule.finishes_at <= interval.end:
        return left
    return max(0, min(left, round(energy_between(schedule.slots, interval.start, interval.end))))


def step(
    house: SimHouse,
    delivered: dict[str, Progress],
    interval: Interval,
    schedules: Mapping[str, ObjectSchedule] | None = None,
) -> tuple[HouseReading, dict[str, Progress]]:
    """The house over one interval, and its schedulable objects' progress after it."""
    objects: dict[str, int] = {}
    production = 0
    progress = dict(delivered)
    for obj in house.objects:
        if not obj.enabled:
            continue
        if obj.kind is ObjectKind.SCHEDULABLE:
            done = done_mwh(obj, progress)
            used = planned_mwh((schedules or {}).get(obj.name), interval, obj.target_mwh - done)
            progress[obj.name] = Progress(cycle=obj.cycle, mwh=done + used)
            if used:
                objects[obj.name] = used
            continue
        energy = energy_mwh(obj, interval, house.location)
        if obj.kind is ObjectKind.PRODUCER:
            production += energy
        else:
            objects[obj.name] = energy
    kept = {o.name for o in house.objects if o.kind is ObjectKind.SCHEDULABLE}
    return HouseReading(interval, objects, production), {k: v for k, v in progress.items() if k in kept}


def simulate(
    house: SimHouse,
    delivered: dict[str, Progress],
    intervals: list[Interval],
    schedules: Mapping[str, ObjectSchedule] | None = None,
) -> tuple[list[HouseReading], dict[str, Progress]]:
    readings: list[HouseReading] = []
    for interval in intervals:
        reading, delivered = step(house, delivered, interval, schedules)
        readings.append(reading)
    return readings, delivered


def delivered_wh(obj: SimObject, state: SimHouseState | None) -> float | None:
    """A schedulable object's energy delivered in its current cycle (Wh)."""
    if obj.kind is not ObjectKind.SCHEDULABLE:
        return None
    return mwh_to_wh(done_mwh(obj, state.delivered) if state else 0)


# The battery ----------------------------------------------------------------------------
def battery_step(spec: BatterySpec, stored_mwh: int, surplus_mwh: int, minutes: float) -> int:
    """What the battery holds after an interval of `minutes` in which the house had this
    surplus (production - consumption; below 0, a deficit): the surplus charges it and a
    deficit draws it, within its capacity, what it holds, and its rates over the interval."""
    if surplus_mwh >= 0:
        room = spec.capacity_mwh - stored_mwh
        return stored_mwh + max(0, min(surplus_mwh, room, max_energy_mwh(spec.max_charge_w, minutes)))
    drawn = min(-surplus_mwh, stored_mwh, max_energy_mwh(spec.max_discharge_w, minutes))
    return stored_mwh - max(0, drawn)


def dispatched_step(
    spec: BatterySpec, stored_mwh: int, surplus_mwh: int, minutes: float, setpoint: Setpoint
) -> int:
    """What the battery holds after an interval in which the VPP asked the house to export
    (sell) or store (buy) `setpoint.mwh`. Selling: the house exports its surplus first and its
    battery makes up the rest, never below the reserve for the VPP (the house's own deficit
    still draws it as usual), never faster than its rate; a surplus beyond the setpoint charges
    it as usual. Buying: the battery takes its own surplus and the setpoint from the grid,
    within its room and charge rate."""
    if setpoint.side is Side.BUY:
        room = spec.capacity_mwh - stored_mwh
        taken = min(max(surplus_mwh, 0) + setpoint.mwh, room, max_energy_mwh(spec.max_charge_w, minutes))
        return stored_mwh + max(0, taken)
    wanted = surplus_mwh - setpoint.mwh
    if wanted >= 0:
        return battery_step(spec, stored_mwh, wanted, minutes)
    for_vpp = min(-wanted, max_energy_mwh(spec.max_discharge_w, minutes), stored_mwh - setpoint.reserve_mwh)
    own = stored_mwh - battery_step(spec, stored_mwh, min(surplus_mwh, 0), minutes)
    return stored_mwh - max(0, for_vpp, own)


def interval_setpoint(setpoints: Mapping[datetime, Setpoint], interval: Interval) -> Setpoint | None:
    """The VPP's asks over the ticks of an interval, summed (one order at a time)."""
    found = [p for at, p in setpoints.items() if interval.start <= at < interval.end]
    if not found:
        return None
    return Setpoint(found[0].side, sum(p.mwh for p in found), found[0].reserve_mwh)


def battery_states(
    battery: SimBattery,
    stored_mwh: int,
    readings: list[HouseReading],
    setpoints: Mapping[datetime, Setpoint] | None = None,
) -> list[State]:
    """What the battery holds at the end of each interval, from `stored_mwh` before the first.
    An interval that ends before the battery was installed leaves it alone; one that straddles
    the installation counts only the minutes since (its surplus in proportion). Over an
    interval the VPP dispatches (`setpoints`, by tick start) the battery follows it."""
    installed = parse_instant(battery.installedAt)
    states: list[State] = []
    for reading in readings:
        end = reading.interval.end
        if end <= installed:
            continue
        minutes = reading.interval.minutes
        present = min(float(minutes), (end - installed).total_seconds() / 60)
        surplus = reading.production_mwh - sum(reading.objects.values())
        setpoint = interval_setpoint(setpoints, reading.interval) if setpoints else None
        if present < minutes:
            surplus = int(surplus * present / minutes)
            setpoint = None
        if setpoint is None:
            stored_mwh = battery_step(battery.spec, stored_mwh, surplus, present)
        else:
            stored_mwh = dispatched_step(battery.spec, stored_mwh, surplus, present, setpoint)
        states.append(State(end, stored_mwh))
    return states


def battery_mwh(house: SimHouse, state: SimHouseState | None) -> int | None:
    """What the house's battery holds now (as last reported, or as installed)."""
    if house.battery is None:
        return None
    if state is not None and state.batteryMwh is not None:
        return state.batteryMwh
    return house.battery.initialMwh
