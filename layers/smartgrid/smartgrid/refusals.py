"""Readings refused as impossible, told to the malfunction detector (`reading.refused`).

A provider answers the sender with the refusal (a 422 naming the field, or a refused item of
a batch) and publishes it here too: the refusal is the only trace a faulty meter leaves, as
nothing it sent is stored. A sender that posts the same reading again is refused again and
reported again; the detector keeps one alert per meter and fault while it lasts.
"""

from __future__ import annotations

from collections.abc import Sequence

from smartgrid.bus import Bus
from smartgrid.events import ReadingRefused, Topic
from smartgrid.models import ProducerRecord
from smartgrid.readings import NegativeEnergy


def negative_consumption(house_id: str, community_id: str | None, error: NegativeEnergy) -> ReadingRefused:
    return ReadingRefused(
        kind="consumption",
        reason="negative-energy",
        houseId=house_id,
        communityId=community_id,
        timestamp=error.timestamp,
        durationMinutes=error.minutes,
        detail=error.message,
    )


def negative_production(
    producer: ProducerRecord, community_id: str | None, error: NegativeEnergy
) -> ReadingRefused:
    return ReadingRefused(
        kind="production",
        reason="negative-energy",
        houseId=producer.houseId,
        producerId=producer.producerId,
        communityId=community_id,
        timestamp=error.timestamp,
        durationMinutes=error.minutes,
        detail=error.message,
    )


def report(bus: Bus, refused: Sequence[ReadingRefused]) -> None:
    """Publishes the refusals (nothing when there are none)."""
    bus.publish(Topic.READING_REFUSED, refused)
