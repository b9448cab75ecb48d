"""Readings as houses and producers post them, and their normal form on the bus.

Energies arrive in Wh (up to three decimals are kept: the grid counts whole mWh) and are
keyed by the tick that holds their timestamp: one reading per source and tick.

A negative energy is well-formed but impossible: no meter measures one unless it is faulty.
It is refused reading by reading (`NegativeEnergy`, a 422 naming the field; the other
readings of a head-end's batch go on), and the providers report the refusal on
`reading.refused` so that technicians hear of the meter.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field

from smartgrid.errors import Unprocessable
from smartgrid.events import DetailedConsumptionReading, ProductionReading
from smartgrid.gridtime import MINUTES_PER_DAY, floor_to_tick, iso, minutes_to_midnight, parse_instant
from smartgrid.models import ProducerRecord, Strict
from smartgrid.units import wh_to_mwh

MAX_OBJECTS = 200
MAX_BATCH = 1000

# Any sign here: a negative energy is a faulty meter's, refused per reading (NegativeEnergy).
EnergyWh = Annotated[
    Decimal,
    Field(
        ge=-100_000_000,
        le=100_000_000,
        allow_inf_nan=False,
        description="watt-hours, never negative (a negative one is refused, as a faulty meter's)",
    ),
]
# No "/" in a name: it is a path segment of /houses/{houseId}/consumption/objects/{name}.
ObjectName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[\w .:+-]+$")]


def _plausible_year(moment: datetime) -> datetime:
    # Found by the fuzzing: a year before 1000 is written without its leading zero and could
    # not be read back (a 502); no meter of this grid reads outside these years.
    if not 2000 <= moment.year <= 2999:
        raise ValueError("a reading's year is between 2000 and 2999")
    return moment


Timestamp = Annotated[
    datetime,
    AfterValidator(_plausible_year),
    Field(description="start of the interval, ISO 8601 (UTC if no zone)"),
]
Duration = Annotated[int, Field(ge=1, le=MINUTES_PER_DAY, description="minutes the reading covers")]


class ConsumptionBody(Strict):
    timestamp: Timestamp
    durationMinutes: Duration = 1
    objects: dict[ObjectName, EnergyWh] = Field(min_length=1, max_length=MAX_OBJECTS)


class ProductionBody(Strict):
    timestamp: Timestamp
    durationMinutes: Duration = 1
    wh: EnergyWh


class HeadEndConsumption(ConsumptionBody):
    houseId: str = Field(min_length=1, max_length=64)


class HeadEndProduction(ProductionBody):
    producerId: str = Field(min_length=1, max_length=64)


class NegativeEnergy(Unprocessable):
    """A reading with a negative energy: refused, and reported as a faulty meter's."""

    def __init__(self, message: str, *, field: str, timestamp: str, minutes: int) -> None:
        super().__init__(message, field=field)
        self.timestamp = timestamp
        self.minutes = minutes


class HeadEndBatch(Strict):
    consumption: list[HeadEndConsumption] = Field(default_factory=list, max_length=MAX_BATCH)
    production: list[HeadEndProduction] = Field(default_factory=list, max_length=MAX_BATCH)


@dataclass(frozen=True)
class ReadingWindow:
    """When a reading may start: not after `latest` (the grid clock plus a tolerance: a
    meter's clock may run ahead of the grid's; far ahead, it is wrong or forged), nor before
    the tick its house registered in."""

    latest: datetime
    tick_minutes: int

    def check(self, start: str, field: str, registered_at: str | None = None) -> None:
        moment = parse_instant(start)
        if moment > self.latest:
            raise Unprocessable(
                f"{start} is in the future: a reading may start at {iso(self.latest)} at the latest",
                field=field,
            )
        if registered_at and moment < floor_to_tick(parse_instant(registered_at), self.tick_minutes):
            raise Unprocessable(f"{start} is before the house registered ({registered_at})", field=field)


def interval_start(timestamp: datetime, duration: int, tick_minutes: int, field: str) -> str:
    start = floor_to_tick(parse_instant(timestamp.isoformat()), tick_minutes)
    if duration % tick_minutes:
        raise Unprocessable(
            f"durationMinutes must be a whole number of ticks ({tick_minutes} min)", field=field
        )
    if duration > minutes_to_midnight(start):
        raise Unprocessable("a reading may not cross midnight (UTC): split it in two", field=field)
    return iso(start)


def consumption_reading(
    house_id: str,
    body: ConsumptionBody,
    tick_minutes: int,
    field: str = "body",
    community_id: str | None = None,
) -> DetailedConsumptionReading:
    start = interval_start(body.timestamp, body.durationMinutes, tick_minutes, f"{field}.durationMinutes")
    for name, wh in sorted(body.objects.items()):
        if wh < 0:
            raise NegativeEnergy(
                f"{name}: {wh} Wh is negative: a consumption never is",
                field=f"{field}.objects.{name}",
                timestamp=start,
                minutes=body.durationMinutes,
            )
    return DetailedConsumptionReading(
        houseId=house_id,
        communityId=community_id,
        timestamp=start,
        durationMinutes=body.durationMinutes,
        objects={name: wh_to_mwh(wh) for name, wh in sorted(body.objects.items())},
    )


def production_reading(
    producer: ProducerRecord,
    body: ProductionBody,
    tick_minutes: int,
    field: str = "body",
    community_id: str | None = None,
) -> ProductionReading:
    start = interval_start(body.timestamp, body.durationMinutes, tick_minutes, f"{field}.durationMinutes")
    if body.wh < 0:
        raise NegativeEnergy(
            f"{body.wh} Wh is negative: a production never is",
            field=f"{field}.wh",
            timestamp=start,
            minutes=body.durationMinutes,
        )
    return ProductionReading(
        producerId=producer.producerId,
        kind=producer.kind.value,
        houseId=producer.houseId,
        communityId=community_id,
        timestamp=start,
        durationMinutes=body.durationMinutes,
        mwh=wh_to_mwh(body.wh),
    )


def ledger_key(reading: DetailedConsumptionReading | ProductionReading) -> tuple[str, str]:
    if isinstance(reading, DetailedConsumptionReading):
        return (f"house#{reading.houseId}", reading.timestamp)
    return (f"producer#{reading.producerId}", reading.timestamp)


def body_sha256(reading: DetailedConsumptionReading | ProductionReading) -> str:
    """What the source said: the community is ours to add, and may be learnt between two posts."""
    return hashlib.sha256(reading.model_dump_json(exclude={"communityId"}).encode()).hexdigest()
