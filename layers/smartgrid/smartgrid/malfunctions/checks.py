"""What each reading shows of its sender: normal, or a fault a technician must see.

The grid does not know a house's appliances or panels, only what its meter sends, so the
rules are the ones a meter can break whatever the house holds:
- a consumption beyond what a house connection can draw (`max_house_power_w`: 36 kVA, the
  largest residential connection, by default): its mean power over the reading's interval;
- production at night: a house producer's panels make nothing once the sun is more than
  NIGHT_ELEVATION_DEG below the horizon (civil twilight over) at every instant of the
  reading's interval; more than NIGHT_TOLERANCE_W on average is a fault. A house's production
  is taken to be its panels' (a house becomes a producer when panels are fitted); a house that
  truly produces at night (a generator) is flagged, and staff acknowledge the alert;
- a negative energy, a battery state that breaks physics: refused at the door, and seen here
  as `reading.refused`.
Every accepted reading is also the normal observation that closes the alerts of its kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from smartgrid.events import (
    AlertSubject,
    BatteryState,
    DetailedConsumptionReading,
    ProductionReading,
    ReadingRefused,
)
from smartgrid.frames import watts
from smartgrid.gridtime import parse_instant
from smartgrid.malfunctions.episodes import Fault, Observation
from smartgrid.malfunctions.kinds import AlertType
from smartgrid.models import Location
from smartgrid.simulation.profiles import solar_elevation_deg

DEFAULT_MAX_HOUSE_POWER_W = 36_000.0
NIGHT_ELEVATION_DEG = -6.0
NIGHT_TOLERANCE_W = 10.0
SUN_SAMPLE = timedelta(minutes=10)


@dataclass(frozen=True)
class Seen:
    """An observation of a subject (a house, a utility producer) and its community if known."""

    subject: AlertSubject
    community_id: str | None
    observation: Observation


def house(house_id: str) -> AlertSubject:
    return AlertSubject(kind="house", id=house_id)


def is_night(start: datetime, minutes: int, location: Location) -> bool:
    """The sun stays more than NIGHT_ELEVATION_DEG below the horizon over the whole interval
    (sampled every SUN_SAMPLE, both ends included)."""
    end = start + timedelta(minutes=minutes)
    moment = start
    while True:
        if solar_elevation_deg(moment, location.lat, location.lon) >= NIGHT_ELEVATION_DEG:
            return False
        if moment >= end:
            return True
        moment = min(moment + SUN_SAMPLE, end)


def consumption(reading: DetailedConsumptionReading, max_house_power_w: float) -> list[Seen]:
    """A consumption reading: beyond the connection's power, or normal; and it is not negative."""
    subject, at = house(reading.houseId), reading.timestamp
    power = watts(sum(reading.objects.values()), reading.durationMinutes)
    fault = None
    if power > max_house_power_w:
        largest = max(reading.objects, key=lambda name: reading.objects[name])
        fault = Fault(
            {"meanPowerW": round(power), "limitW": round(max_house_power_w), "largestObject": largest}
        )
    return [
        Seen(subject, reading.communityId, Observation(AlertType.CONSUMPTION_EXCESSIVE, at, fault)),
        Seen(subject, reading.communityId, Observation(AlertType.CONSUMPTION_NEGATIVE, at)),
    ]


def production(reading: ProductionReading, location: Location | None) -> list[Seen]:
    """A production reading: a house's at night, or normal; and it is not negative. A house
    whose location is unknown (not in the client database) is not judged on the sun."""
    at = reading.timestamp
    if reading.houseId is None:
        producer = AlertSubject(kind="producer", id=reading.producerId)
        return [Seen(producer, None, Observation(AlertType.PRODUCER_NEGATIVE, at))]
    subject = house(reading.houseId)
    seen = [Seen(subject, reading.communityId, Observation(AlertType.PRODUCTION_NEGATIVE, at))]
    if location is not None:
        power = watts(reading.mwh, reading.durationMinutes)
        night = is_night(parse_instant(at), reading.durationMinutes, location)
        fault = None
        if night and power > NIGHT_TOLERANCE_W:
            fault = Fault({"meanPowerW": round(power, 1), "toleranceW": NIGHT_TOLERANCE_W})
        seen.append(Seen(subject, reading.communityId, Observation(AlertType.PRODUCTION_AT_NIGHT, at, fault)))
    return seen


def battery(state: BatteryState) -> list[Seen]:
    """An accepted battery state: physics held."""
    return [Seen(house(state.houseId), None, Observation(AlertType.BATTERY_IMPOSSIBLE, state.timestamp))]


_REFUSED: Mapping[tuple[str, str], AlertType] = {
    ("consumption", "negative-energy"): AlertType.CONSUMPTION_NEGATIVE,
    ("production", "negative-energy"): AlertType.PRODUCTION_NEGATIVE,
    ("battery", "battery-physics"): AlertType.BATTERY_IMPOSSIBLE,
}


def refused(reading: ReadingRefused) -> list[Seen]:
    """A reading refused as impossible: the fault of its house (or utility producer)."""
    fault = Fault({"refused": reading.detail})
    if reading.houseId is None:
        if reading.producerId is None:
            return []
        producer = AlertSubject(kind="producer", id=reading.producerId)
        return [Seen(producer, None, Observation(AlertType.PRODUCER_NEGATIVE, reading.timestamp, fault))]
    alert_type = _REFUSED.get((reading.kind, reading.reason))
    if alert_type is None:
        return []
    return [
        Seen(house(reading.houseId), reading.communityId, Observation(alert_type, reading.timestamp, fault))
    ]
