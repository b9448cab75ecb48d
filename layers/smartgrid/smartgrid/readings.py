"""Readings as houses and producers post them, and their normal form on the bus.

Energies arrive in Wh (up to three decimals are kept: the grid counts whole mWh) and are
keyed by the tick that holds their timestamp: one reading per source and tick.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field

from smartgrid.errors import Unprocessable
from smartgrid.events import DetailedConsumptionReading, ProductionReading
from smartgrid.gridtime import MINUTES_PER_DAY, floor_to_tick, iso, minutes_to_midnight, parse_instant
from smartgrid.models import ProducerRecord, Strict
from smartgrid.units import wh_to_mwh

MAX_OBJECTS = 200
MAX_BATCH = 1000

EnergyWh = Annotated[Decimal, Field(ge=0, le=100_000_000, allow_inf_nan=False, description="watt-hours")]
# No "/" in a name: it is a path segment of /houses/{houseId}/consumption/objects/{name}.
ObjectName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[\w .:+-]+$")]
Timestamp = Annotated[datetime, Field(description="start of the interval, ISO 8601 (UTC if no zone)")]
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


class HeadEndBatch(Strict):
    consumption: list[HeadEndConsumption] = Field(default_factory=list)
    production: list[HeadEndProduction] = Field(default_factory=list)


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
