"""consumption-scheduler: plans for schedulable objects, and sheddings that move them.

- A house asks for a plan (`ScheduleRequest`); the object draws at full power from when it
  may, around its community's sheddings (see `planning`).
- A shedding stops a community's schedulable objects over [start, until): on a peak
  (`consumption.peak`), when producers reach their limits (`reach.production.limit`: the
  communities that draw most are shed until the schedulable load stopped covers the
  shortfall), or by hand (staff). Every plan with energy in a shedding's window is planned
  again from now: what already ran stays, the rest goes after the window, so the objects
  resume by themselves when it ends. Ending a shedding early plans them again from now.
- Each cause is acted on once: a shedding is stored under its cause's key first, and a
  redelivered peak finds it and only re-applies it (planning again is idempotent).
- A shedding starts at the grid's present (`now`), never in the past: houses have reported
  what is behind. A peak older than a hold is over; acting on it late would shed for nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from pydantic import Field

from smartgrid.clockservice import ClockReaderSettings, grid_now
from smartgrid.errors import Conflict, NotFound, Unprocessable
from smartgrid.events import ConsumptionPeak, ElectricityFrame, ReachProductionLimit
from smartgrid.gridtime import iso, parse_instant
from smartgrid.planning import Window, energy_between, place, replan, seconds_for
from smartgrid.schedules import ObjectPlan, ScheduleRequest, ShedCause, Shedding, ShedObject
from smartgrid.stores.communities import CommunitiesRepository
from smartgrid.stores.schedules import SchedulesStore, SheddingsStore, StaleWrite
from smartgrid.units import wh_to_mwh

WRITE_ATTEMPTS = 5


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
    ) -> None:
        self.plans = plans
        self.sheddings = sheddings
        self.community_of = community_of
        self.hold = timedelta(minutes=hold_minutes)

    # A house's plans ---------------------------------------------------------------------
    def request(self, house_id: str, name: str, request: ScheduleRequest, now: datetime) -> ObjectPlan:
        community = self.community_of(house_id)
        if community is None:
            raise Conflict("the house is not in a community yet: ask again once registered", field="houseId")
        earliest = max(request.earliestStart or now, now)
        if request.deadline <= earliest:
            raise Unprocessable(
                f"the deadline is past: the plan can start at {iso(earliest)}", field="deadline"
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
        blocked = windows(self.sheddings.not_over(community, now))
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
        ).with_slots(place(energy, request.maxPowerW, earliest, blocked))
        return self.plans.save(plan, None)

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
        self._replan_community(community_id, now, everything=True)
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
        self._replan_community(shedding.communityId, now)
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

    def _replan_community(self, community_id: str, now: datetime, *, everything: bool = False) -> None:
        blocked = windows(self.sheddings.not_over(community_id, now))
        for plan in self.plans.in_community(community_id):
            self._replan(plan, blocked, now, everything)

    def _replan(self, plan: ObjectPlan, blocked: list[Window], now: datetime, everything: bool) -> None:
        for _attempt in range(WRITE_ATTEMPTS):
            slots = plan.slot_list()
            if not everything and not any(energy_between(slots, max(w.start, now), w.end) for w in blocked):
                return  # nothing of it falls in a shedding: it stays as planned
            if everything and parse_instant(plan.finishesAt) <= now:
                return  # done already
            moved = replan(
                slots,
                wh_to_mwh(plan.energyWh),
                plan.maxPowerW,
                parse_instant(plan.earliestStart),
                now,
                blocked,
            )
            if moved == slots:
                return
            try:
                self.plans.save(plan.with_slots(moved), plan.version)
                return
            except StaleWrite:
                fresh = self.plans.get(plan.houseId, plan.name)
                if fresh is None:
                    return  # cancelled meanwhile
                plan = fresh
        raise StaleWrite(f"{plan.houseId}/{plan.name} kept changing")


class SchedulerSettings(ClockReaderSettings):
    """What both of consumption-scheduler's handlers read (each extends it)."""

    schedules_table: str = Field(alias="SCHEDULES_TABLE")
    sheddings_table: str = Field(alias="SHEDDINGS_TABLE")
    communities_table: str = Field(alias="COMMUNITIES_TABLE")
    shed_minutes: int = Field(60, alias="SHED_MINUTES", ge=1, le=24 * 60)

    def scheduler(self) -> Scheduler:
        return Scheduler(
            SchedulesStore(self.schedules_table),
            SheddingsStore(self.sheddings_table),
            CommunitiesRepository(self.communities_table).community_of,
            self.shed_minutes,
        )

    def now(self) -> datetime:
        return parse_instant(grid_now(self))
