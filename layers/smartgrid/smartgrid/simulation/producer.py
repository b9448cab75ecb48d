"""A simulated utility producer (a power station): it produces what it is asked, within its limit.

Pure. The producer keeps its own production (`productionW`, 1,000 W by default, as in the
seed's scenarios) until the production-adapter gives it a setpoint; it then follows the
setpoint. Either way it never produces above its limit, nor below zero.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from smartgrid.models import Strict
from smartgrid.simulation.timeline import Interval
from smartgrid.units import mwh_to_wh, watts_over_minutes_mwh

DEFAULT_PRODUCTION_W = 1_000.0
DEFAULT_LIMIT_W = 10_000.0

Name = Annotated[str, Field(min_length=1, max_length=100)]
LimitW = Annotated[
    float, Field(gt=0, le=10_000_000_000, allow_inf_nan=False, description="production limit (W)")
]
ProductionW = Annotated[
    float, Field(ge=0, le=10_000_000_000, allow_inf_nan=False, description="production asked (W)")
]


class ProducerSpec(Strict):
    """`POST /sim/producers`."""

    name: Name
    productionLimitW: LimitW = DEFAULT_LIMIT_W
    productionW: ProductionW = Field(DEFAULT_PRODUCTION_W, description="its own production until a setpoint")


class SimProducerChange(Strict):
    """`PATCH /sim/producers/{producerId}`."""

    productionW: ProductionW | None = None
    productionLimitW: LimitW | None = None


class SimProducer(BaseModel):
    producerId: str
    name: str
    token: str
    productionLimitW: float
    productionW: float
    createdAt: str


class LastReading(BaseModel):
    timestamp: str
    durationMinutes: int
    wh: float


class SimProducerState(BaseModel):
    reportedUntil: str
    setpointW: float | None = Field(None, description="the adapter's last setpoint seen")
    actualW: float | None = Field(None, description="what it produced at its last report")
    lastReading: LastReading | None = None


def effective_w(own_w: float, setpoint_w: float | None, limit_w: float) -> float:
    """What the producer produces: its setpoint when it has one, else its own production,
    never above its limit nor below zero."""
    wanted = own_w if setpoint_w is None else setpoint_w
    return max(0.0, min(wanted, limit_w))


def production_mwh(watts: float, interval: Interval) -> int:
    return watts_over_minutes_mwh(watts, interval.minutes)


def last_reading(interval: Interval, mwh: int) -> LastReading:
    return LastReading(timestamp=interval.timestamp, durationMinutes=interval.minutes, wh=mwh_to_wh(mwh))
