"""consumption-scheduler: plans for schedulable objects, and sheddings that move them.

- A house asks for a plan (`ScheduleRequest`): the community's objects still to run are
  planned again together, so that its expected load (its other consumption by time of day,
  less its production, plus the plans its owners fixed) is as flat as their windows allow
  (see `communityplan`); what already ran, or runs now, never moves. An owner may fix an
  object's slots himself (`FixedSchedule`): the others are planned around them.
- A shedding stops a community's schedulable objects over [start, until): on a peak
  (`consumption.peak`), when producers reach their limits (`reach.production.limit`: the
  communities that draw most are shed until the schedulable load stopped covers the
  shortfall), or by hand (staff). The community's plans are planned again from now around
  it: what already ran stays, nothing draws in the window, so the objects resume by
  themselves when it ends and still finish by their deadlines when they can (a plan that
  cannot says it is late). A fixed plan's energy in the window goes right after it. Ending
  a shedding early plans them again from now.
- Each cause is acted on once: a shedding is stored under its cause's key first, and a
  redelivered peak finds it and only re-applies it (planning again is idempotent).
- A shedding starts at the grid's present (`now`), never in the past: houses have reported
  what is behind. A peak older than a hold is over; acting on it late would shed for nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from pydantic import Field

from smartgrid.clockservice import ClockReaderSettings, grid_now
from smartgrid.communityplan import Demand, SlotGrid, level_with, plan_together
from smartgrid.errors import Conflict, NotFound, Unprocessable
from smartgrid.events import ConsumptionPeak, ElectricityFrame, ReachProductionLimit
from smartgrid.flattening import Vector
from smartgrid.gridtime import floor_to_tick, iso, parse_instant
from smartgrid.loadforecast import expected_other_w, history_days
from smartgrid.planning import Slot, Window, energy_between, joined, replan, seconds_for
from smartgrid.schedules import FixedSchedule, ObjectPlan, ScheduleRequest, ShedCause, Shedding, ShedObject
from smartgrid.stores.communities import CommunitiesRepository
from smartgrid.stores.loadhistory import LoadHistoryStore
from smartgrid.stores.schedules import SchedulesStore, SheddingsStore, StaleWrite
from smartgrid.units import mwh_to_wh, wh_to_mwh

# How far ahead a flexible plan may end: its slots are planned tick by tick until then.
MAX_PLAN_AHEAD = timedelta(days=7)

# The community's expected other load (W) on a grid of slots, given its plans, at `now`.
Forecast = Callable[[str, SlotGrid, Sequence[Sequence[Slot]], datetime], Vector]


@dataclass(frozen=True)
class CommunityLoad:
    """A day of a community: its expected other load and the load with its plans (W per tick)."""

    grid: SlotGrid
    other_w: Vector
    with_plans_w: Vector
    plans: list[ObjectPlan]


def windows(sheddings: Iterable[Shedding]) -> list[Window]:
    return [Window(parse_instant(s.start), parse_instant(s.until)) for s in sheddings]


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h"


class Scheduler:
    def __init__(
        self,
        plans: SchedulesStore,
        sheddings: SheddingsStore,
        community_of: Callable[[str], str | None],
        hold_minutes: int,
        forecast: Forecast,
        tick_minutes: int = 1,
    ) -> None:
        self.plans = plans
        self.sheddings = sheddings
        self.community_of = community_of
        self.hold = timedelta(minutes=hold_minutes)
        self.forecast = forecast
        self.tick_minutes = tick_minutes

    # A house's plans ---------------------------------------------------------------------
    def _community(self, house_id: str) -> str:
        community = self.community_of(house_id)
        if community is None:
            raise Conflict("the house is not in a community yet: ask again once registered", field="houseId")
        return community

    def request(self, house_id: str, name: str, request: ScheduleRequest, now: datetime) -> ObjectPlan:
        community = self._community(house_id)
        earliest = max(request.earliestStart or now, now)
        if request.deadline <= earliest:
            raise Unprocessable(
                f"the deadline is past: the plan can start at {iso(earliest)}", field="deadline"
            )
        if request.deadline - now > MAX_PLAN_AHEAD:
            # Found by the fuzzing: a deadline in 9999 made a grid of billions of slots (a hang).
            raise Unprocessable(
                f"the deadline may be at most {MAX_PLAN_AHEAD.days} days ahead ({iso(now + MAX_PLAN_AHEAD)})",
                field="deadline",
            )
        energy = wh_to_mwh(request.energyWh)
        needed = seconds_for(energy, request.maxPowerW)
        available = (request.deadline - earliest).total_seconds()
        if needed > available:
            raise Unprocessable(
                f"{request.energyWh} Wh at {request.maxPowerW} W takes {_hours(needed)}, "
                f"only {_hours(available)} from {iso(earliest)} to the deadline",
                field="deadline",
            )
        plan = ObjectPlan(
            houseId=house_id,
            name=name,
            communityId=community,
            energyWh=request.energyWh,
            maxPowerW=request.maxPowerW,
            earliestStart=iso(earliest),
            deadline=iso(request.deadline),
            slots=[],
            finishesAt=iso(earliest),
        )
        return self._plan_with(community, now, plan)

    def fix(self, house_id: str, name: str, request: FixedSchedule, now: datetime) -> ObjectPlan:
        """The owner's own slots; the community's other plans are planned again around them."""
        community = self._community(house_id)
        slots = request.slot_list()
        if slots[0].start < now:
            raise Unprocessable(f"slots must start at {iso(now)} or later: the past is done", field="slots")
        energy = sum((s.energy() for s in slots), Fraction(0))
        plan = ObjectPlan(
            houseId=house_id,
            name=name,
            communityId=community,
            energyWh=mwh_to_wh(math.floor(energy)),
            maxPowerW=max(s.power_w for s in slots),
            earliestStart=iso(slots[0].start),
            deadline=iso(slots[-1].end),
            slots=[],
            finishesAt=iso(slots[0].start),
            fixed=True,
        ).with_slots(joined(slots))
        return self._plan_with(community, now, plan)

    def plan(self, house_id: str, name: str) -> ObjectPlan:
        found = self.plans.get(house_id, name)
        if found is None:
            raise NotFound(f"{name} has no schedule", field="name")
        return found

    def cancel(self, house_id: str, name: str) -> None:
        if not self.plans.delete(house_id, name):
            raise NotFound(f"{name} has no schedule", field="name")

    # Sheddings ----------------------------------------------------------------------------
    def on_peak(self, peak: ConsumptionPeak, now: datetime) -> Shedding | None:
        """Sheds the community for the hold; None when the peak is too old to act on."""
        if parse_instant(peak.frameStart) + self.hold <= now:
            return None
        return self.shed(
            Shedding(
                communityId=peak.communityId,
                key=f"{peak.frameStart}#{ShedCause.PEAK}",
                cause=ShedCause.PEAK,
                start=iso(now),
                until=iso(now + self.hold),
                peakW=peak.valueW,
            ),
            now,
            parse_instant(peak.frameStart),
        )

    def on_limit(
        self, event: ReachProductionLimit, frame: ElectricityFrame | None, now: datetime
    ) -> list[Shedding]:
        """Sheds the communities that drew most in the frame until the schedulable load
        stopped covers the shortfall (or there is none left to stop)."""
        frame_start = parse_instant(event.frameStart)
        if frame_start + self.hold <= now or frame is None:
            return []
        ranked = sorted(frame.communities.items(), key=lambda kv: (-kv[1].consumptionMwh, kv[0]))
        shed: list[Shedding] = []
        covered = 0.0
        key = f"{event.frameStart}#{ShedCause.LIMIT}"
        for community_id, _totals in ranked:
            if covered >= event.shortfallW:
                break
            stored = self.sheddings.get(community_id, key)
            if stored is None and self._nothing_to_stop(community_id, frame_start, now):
                continue
            done = self.shed(
                Shedding(
                    communityId=community_id,
                    key=key,
                    cause=ShedCause.LIMIT,
                    start=iso(now),
                    until=iso(now + self.hold),
                    shortfallW=event.shortfallW,
                ),
                now,
                frame_start,
            )
            shed.append(done)
            covered += done.shedW
        return shed

    def shed_by_hand(self, community_id: str, minutes: int, now: datetime) -> Shedding:
        active = [s for s in self.sheddings.not_over(community_id, now) if s.cause is ShedCause.MANUAL]
        if active:
            raise Conflict(
                f"the community is shed by hand until {active[0].until}: end it first", field="communityId"
            )
        return self.shed(
            Shedding(
                communityId=community_id,
                key=f"{iso(now)}#{ShedCause.MANUAL}",
                cause=ShedCause.MANUAL,
                start=iso(now),
                until=iso(now + timedelta(minutes=minutes)),
            ),
            now,
        )

    def end_sheddings(self, community_id: str, now: datetime) -> list[Shedding]:
        """Ends every shedding of the community now; its objects are planned again from now."""
        ended = [self.sheddings.end(s, iso(now)) for s in self.sheddings.not_over(community_id, now)]
        ended = [s for s in ended if s.sameAs is None]
        self._plan_community(community_id, now)
        return ended

    def sheddings_of(self, community_id: str, now: datetime) -> list[Shedding]:
        """The community's sheddings active now or to come (each once: not the peaks they covered)."""
        return [s for s in self.sheddings.not_over(community_id, now) if s.sameAs is None]

    def shed(self, shedding: Shedding, now: datetime, cause_at: datetime | None = None) -> Shedding:
        """Stores the shedding once (with the objects it stops), then plans them again.

        A cause seen at `cause_at` (a frame) before a shedding under way started was handled
        by it: frames close a few ticks late, so the frames after a first peak peak too, and
        each would otherwise shed the community again, longer. It is stored as the same
        shedding (`sameAs`), so what was shed for it can still be told."""
        stored = self.sheddings.get(shedding.communityId, shedding.key)
        if stored is None:
            under_way = self._under_way(shedding.communityId, cause_at, now) if cause_at else None
            if under_way is not None:
                return self.sheddings.add(
                    under_way.model_copy(
                        update={
                            "key": shedding.key,
                            "cause": shedding.cause,
                            "peakW": shedding.peakW,
                            "shortfallW": shedding.shortfallW,
                            "sameAs": under_way.key,
                        }
                    )
                )
            start, until = parse_instant(shedding.start), parse_instant(shedding.until)
            stopped = self._drawing(self.plans.in_community(shedding.communityId), start, until)
            stored = self.sheddings.add(
                shedding.model_copy(update={"objects": stopped, "shedW": sum(o.powerW for o in stopped)})
            )
        self._plan_community(shedding.communityId, now)
        return stored

    def _nothing_to_stop(self, community_id: str, cause_at: datetime, now: datetime) -> bool:
        """No shedding under way handled it, and no schedulable object would draw in the hold."""
        if self._under_way(community_id, cause_at, now) is not None:
            return False
        return not self._drawing(self.plans.in_community(community_id), now, now + self.hold)

    def _under_way(self, community_id: str, cause_at: datetime, now: datetime) -> Shedding | None:
        """A shedding active now that started after `cause_at`."""
        for shedding in self.sheddings.not_over(community_id, now):
            if (
                shedding.sameAs is None
                and shedding.active_at(now)
                and parse_instant(shedding.start) > cause_at
            ):
                return shedding
        return None

    @staticmethod
    def _drawing(plans: Iterable[ObjectPlan], start: datetime, until: datetime) -> list[ShedObject]:
        """The objects planned to draw in [start, until), with the most power each would draw."""
        found: list[ShedObject] = []
        for plan in plans:
            parts = [c for s in plan.slot_list() if (c := s.clipped(start, until)) is not None]
            if parts:
                found.append(
                    ShedObject(houseId=plan.houseId, name=plan.name, powerW=max(p.power_w for p in parts))
                )
        return sorted(found, key=lambda o: (o.houseId, o.name))

    def _plan_with(self, community_id: str, now: datetime, new: ObjectPlan) -> ObjectPlan:
        planned = self._plan_community(community_id, now, new)
        assert planned is not None  # a new plan is always stored and returned
        return planned

    def _plan_community(
        self, community_id: str, now: datetime, new: ObjectPlan | None = None
    ) -> ObjectPlan | None:
        """Plans the community's objects still to run again, together (with `new`, stored
        first and returned); a plan another writer changed meanwhile is left as it is."""
        plans = {(p.houseId, p.name): p for p in self.plans.in_community(community_id)}
        if new is not None:
            plans[(new.houseId, new.name)] = new
        blocked = windows(self.sheddings.not_over(community_id, now))
        moved = self._placed(community_id, list(plans.values()), blocked, now)
        if new is not None:
            key = (new.houseId, new.name)
            new = self.plans.save(new.with_slots(moved.pop(key, new.slot_list())), None)
        for key, slots in moved.items():
            plan = plans[key]
            if slots != plan.slot_list():
                try:
                    self.plans.save(plan.with_slots(slots), plan.version)
                except StaleWrite:
                    continue  # re-planned by another writer just now: its plan stands
        return new

    def _placed(
        self, community_id: str, plans: list[ObjectPlan], blocked: list[Window], now: datetime
    ) -> dict[tuple[str, str], list[Slot]]:
        """Each plan's slots planned again from now: fixed ones moved out of sheddings only,
        the others placed together over the community's expected load."""
        fixed: dict[tuple[str, str], list[Slot]] = {}
        kept: dict[tuple[str, str], list[Slot]] = {}
        demands: list[Demand] = []
        for plan in plans:
            key, slots = (plan.houseId, plan.name), plan.slot_list()
            if plan.fixed:
                if any(energy_between(slots, max(w.start, now), w.end) for w in blocked):
                    slots = replan(
                        slots,
                        wh_to_mwh(plan.energyWh),
                        plan.maxPowerW,
                        parse_instant(plan.earliestStart),
                        now,
                        blocked,
                    )
                fixed[key] = slots
                continue
            if slots and parse_instant(plan.finishesAt) <= now:
                continue  # done already
            ran = [part for s in slots if (part := s.clipped(s.start, min(s.end, now))) is not None]
            left = wh_to_mwh(plan.energyWh) - round(sum((s.energy() for s in ran), Fraction(0)))
            kept[key] = ran
            start = max(now, parse_instant(plan.earliestStart))
            demands.append(Demand(key, max(0, left), plan.maxPowerW, start, parse_instant(plan.deadline)))
        if not demands:
            return fixed
        origin = floor_to_tick(now, self.tick_minutes)
        grid = SlotGrid.covering(
            origin, timedelta(minutes=self.tick_minutes), max(d.deadline for d in demands)
        )
        everything = [p.slot_list() for p in plans]
        base = level_with(self.forecast(community_id, grid, everything, now), grid, list(fixed.values()))
        placed = plan_together(demands, grid, base, blocked)
        return {**fixed, **{key: joined([*ran, *placed.get(key, [])]) for key, ran in kept.items()}}

    def community_schedule(self, community_id: str, day_start: datetime, now: datetime) -> CommunityLoad:
        """Every plan with energy in the day, and the day's expected load with and without them."""
        step = timedelta(minutes=self.tick_minutes)
        grid = SlotGrid(day_start, step, round(timedelta(days=1) / step))
        plans = self.plans.in_community(community_id)
        everything = [p.slot_list() for p in plans]
        other = self.forecast(community_id, grid, everything, now)
        day_end = grid.start(grid.count)
        shown = [
            p for p, slots in zip(plans, everything, strict=True) if energy_between(slots, day_start, day_end)
        ]
        return CommunityLoad(grid, other, level_with(other, grid, everything), shown)


@dataclass(frozen=True)
class HistoryForecast:
    """The community's other load at each time of day over its last days (see `loadforecast`)."""

    history: LoadHistoryStore

    def __call__(
        self, community_id: str, grid: SlotGrid, plans: Sequence[Sequence[Slot]], now: datetime
    ) -> Vector:
        days = self.history.days(community_id, history_days(now.date()))
        return expected_other_w(grid, days, plans, now)


class SchedulerSettings(ClockReaderSettings):
    """What both of consumption-scheduler's handlers read (each extends it)."""

    schedules_table: str = Field(alias="SCHEDULES_TABLE")
    sheddings_table: str = Field(alias="SHEDDINGS_TABLE")
    communities_table: str = Field(alias="COMMUNITIES_TABLE")
    load_history_table: str = Field(alias="LOAD_HISTORY_TABLE")
    shed_minutes: int = Field(60, alias="SHED_MINUTES", ge=1, le=24 * 60)

    def scheduler(self) -> Scheduler:
        return Scheduler(
            SchedulesStore(self.schedules_table),
            SheddingsStore(self.sheddings_table),
            CommunitiesRepository(self.communities_table).community_of,
            self.shed_minutes,
            HistoryForecast(LoadHistoryStore(self.load_history_table)),
            self.tick_minutes,
        )

    def now(self) -> datetime:
        return parse_instant(grid_now(self))
