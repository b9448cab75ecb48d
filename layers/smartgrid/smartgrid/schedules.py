"""Schedules and sheddings as the consumption-scheduler keeps them and shows them over HTTP."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from smartgrid.gridtime import iso, parse_instant
from smartgrid.models import Strict
from smartgrid.planning import Slot

MAX_PLAN_HOURS = 7 * 24
MAX_SHED_MINUTES = 24 * 60


class ScheduleRequest(Strict):
    """`POST /houses/{houseId}/objects/{name}/schedule`: what the object needs, and when."""

    energyWh: Annotated[
        float, Field(gt=0, le=1_000_000, allow_inf_nan=False, description="energy to deliver")
    ]
    maxPowerW: Annotated[float, Field(gt=0, le=100_000, allow_inf_nan=False, description="the most it draws")]
    earliestStart: AwareDatetime | None = Field(None, description="plugged in from (default: now)")
    deadline: AwareDatetime = Field(description="done by then")

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.earliestStart is not None and self.deadline <= self.earliestStart:
            raise ValueError("deadline must be after earliestStart")
        return self


class PlanSlot(BaseModel):
    start: str
    end: str
    powerW: float

    @classmethod
    def of(cls, slot: Slot) -> PlanSlot:
        return cls(start=iso(slot.start), end=iso(slot.end), powerW=slot.power_w)

    def slot(self) -> Slot:
        return Slot(parse_instant(self.start), parse_instant(self.end), self.powerW)


class ObjectPlan(BaseModel):
    """A schedulable object's plan: its request, and the slots it draws in."""

    houseId: str
    name: str
    communityId: str
    energyWh: float
    maxPowerW: float
    earliestStart: str
    deadline: str
    slots: list[PlanSlot]
    finishesAt: str = Field(description="when the last slot ends")
    late: bool = Field(False, description="true when the plan cannot finish by the deadline any more")
    fixed: bool = Field(
        False, description="slots set by the owner (`PUT`): the scheduler plans the others around them"
    )
    version: int = Field(1, description="incremented by every change; writes check it")

    def slot_list(self) -> list[Slot]:
        return [s.slot() for s in self.slots]

    def with_slots(self, slots: list[Slot]) -> ObjectPlan:
        finishes = slots[-1].end if slots else parse_instant(self.earliestStart)
        return self.model_copy(
            update={
                "slots": [PlanSlot.of(s) for s in slots],
                "finishesAt": iso(finishes),
                "late": finishes > parse_instant(self.deadline),
            }
        )


MAX_FIXED_SLOTS = 200


class FixedSlot(Strict):
    start: AwareDatetime
    end: AwareDatetime
    powerW: Annotated[float, Field(gt=0, le=100_000, allow_inf_nan=False)]

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.end <= self.start:
            raise ValueError("a slot must end after it starts")
        return self


class FixedSchedule(Strict):
    """`PUT /houses/{houseId}/objects/{name}/schedule`: the owner sets the slots himself."""

    slots: Annotated[list[FixedSlot], Field(min_length=1, max_length=MAX_FIXED_SLOTS)]

    @field_validator("slots")
    @classmethod
    def _apart(cls, slots: list[FixedSlot]) -> list[FixedSlot]:
        ordered = sorted(slots, key=lambda s: s.start)
        for before, after in itertools.pairwise(ordered):
            if after.start < before.end:
                raise ValueError("slots must not overlap")
        if (ordered[-1].end - ordered[0].start).total_seconds() > MAX_PLAN_HOURS * 3600:
            raise ValueError(f"slots must fit within {MAX_PLAN_HOURS} hours")
        return slots

    def slot_list(self) -> list[Slot]:
        return sorted(
            (Slot(_second(s.start), _second(s.end), s.powerW) for s in self.slots),
            key=lambda s: s.start,
        )


def _second(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


class ShedCause(StrEnum):
    PEAK = "peak"
    LIMIT = "limit"
    MANUAL = "manual"


class ShedObject(BaseModel):
    houseId: str
    name: str
    powerW: float = Field(description="what it drew when it was stopped")


class Shedding(BaseModel):
    """A community's schedulable objects stopped over [start, until)."""

    communityId: str
    key: str = Field(description="`<anchor>#<cause>`: the peak's frame, the limit's frame, or the start")
    cause: ShedCause
    start: str
    until: str
    objects: list[ShedObject] = Field(default_factory=list, description="objects that were drawing")
    shedW: float = Field(0, description="the power they drew, in all")
    peakW: float | None = Field(None, description="peak: the community's frame consumption")
    shortfallW: float | None = Field(None, description="limit: what producers could not supply")
    sameAs: str | None = Field(
        None, description="a peak whose frame came before a shedding already under way: that shedding's key"
    )

    def active_at(self, moment: datetime) -> bool:
        return parse_instant(self.start) <= moment < parse_instant(self.until)


class ManualShedding(Strict):
    """`POST /communities/{id}/shedding`."""

    minutes: int = Field(60, ge=1, le=MAX_SHED_MINUTES, description="how long (the objects resume after)")
