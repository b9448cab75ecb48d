"""What a reading shows of its meter: a consumption no house connection can draw, panels
producing at night, a refusal; every accepted reading the normal observation of its kinds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smartgrid.batteries import BatterySpec, PhysicsViolation, State, judge
from smartgrid.errors import Conflict, Unprocessable
from smartgrid.events import (
    AlertSubject,
    BatteryState,
    DetailedConsumptionReading,
    ProductionReading,
    ReadingRefused,
)
from smartgrid.malfunctions import checks
from smartgrid.malfunctions.kinds import AlertType
from smartgrid.models import Location, ProducerKind, ProducerRecord
from smartgrid.readings import (
    ConsumptionBody,
    NegativeEnergy,
    ProductionBody,
    consumption_reading,
    production_reading,
)

LYON = Location(lat=45.76, lon=4.84)
SVALBARD = Location(lat=78.2, lon=15.6)
HOUSE = AlertSubject(kind="house", id="h-1")


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def kinds(seen: list[checks.Seen]) -> dict[AlertType, bool]:
    return {s.observation.alert_type: s.observation.faulty for s in seen}


@pytest.mark.parametrize(
    ("start", "minutes", "night"),
    [
        ("2026-03-01T02:00", 60, True),
        ("2026-03-01T12:00", 1, False),
        ("2026-03-01T05:00", 30, True),  # the sun at -8° at 05:30: civil twilight not begun
        ("2026-03-01T05:00", 60, False),  # ... but -3° at 06:00: twilight, diffuse light
        ("2026-03-01T17:45", 15, True),
        ("2026-03-01T17:30", 15, False),  # -4.4°: twilight
        ("2026-03-01T00:00", 1440, False),  # a day-long reading holds the day
    ],
)
def test_night_is_the_sun_below_civil_twilight_over_the_whole_interval(
    start: str, minutes: int, night: bool
) -> None:
    assert checks.is_night(moment(start), minutes, LYON) is night


def test_a_whole_day_of_polar_night_is_night() -> None:
    assert checks.is_night(moment("2026-12-21T00:00"), 1440, SVALBARD)


def consumption(objects: dict[str, int], minutes: int = 1) -> DetailedConsumptionReading:
    return DetailedConsumptionReading(
        houseId="h-1",
        communityId="c-1",
        timestamp="2026-03-01T10:00:00Z",
        durationMinutes=minutes,
        objects=objects,
    )


def test_a_consumption_beyond_the_connection_is_a_fault_naming_its_largest_object() -> None:
    # 1 kWh in a minute is 60 kW, over the 36 kW of a house connection
    (excessive, negative) = checks.consumption(consumption({"fridge": 2_000, "welder": 1_000_000}), 36_000)
    assert excessive.observation.fault is not None
    assert dict(excessive.observation.fault.details) == {
        "meanPowerW": 60_120,
        "limitW": 36_000,
        "largestObject": "welder",
    }
    # And the reading is also a normal observation of its negative kind (it was accepted)
    assert (negative.observation.alert_type, negative.observation.faulty) == (
        AlertType.CONSUMPTION_NEGATIVE,
        False,
    )
    assert excessive.subject == HOUSE and excessive.community_id == "c-1"


def test_a_consumption_within_the_connection_is_normal_whatever_its_length() -> None:
    # 36 kW for an hour is 36 kWh: the limit itself is allowed
    assert kinds(checks.consumption(consumption({"heat pump": 36_000_000}, minutes=60), 36_000)) == {
        AlertType.CONSUMPTION_EXCESSIVE: False,
        AlertType.CONSUMPTION_NEGATIVE: False,
    }


def production(timestamp: str, mwh: int, minutes: int = 1, house: str | None = "h-1") -> ProductionReading:
    return ProductionReading(
        producerId="p-1",
        kind="house" if house else "utility",
        houseId=house,
        timestamp=timestamp,
        durationMinutes=minutes,
        mwh=mwh,
    )


def test_panels_producing_at_night_are_a_fault_beyond_a_few_watts() -> None:
    # 500 W at 02:00 in Lyon
    night = checks.production(production("2026-03-01T02:00:00Z", 8_333), LYON)
    assert kinds(night) == {AlertType.PRODUCTION_NEGATIVE: False, AlertType.PRODUCTION_AT_NIGHT: True}
    # 6 W at night is tolerated (a meter's noise), 500 W at noon is the sun's
    assert not any(kinds(checks.production(production("2026-03-01T02:00:00Z", 100), LYON)).values())
    assert not any(kinds(checks.production(production("2026-03-01T12:00:00Z", 8_333), LYON)).values())


def test_a_house_whose_place_is_unknown_is_not_judged_on_the_sun_nor_a_utility() -> None:
    assert kinds(checks.production(production("2026-03-01T02:00:00Z", 8_333), None)) == {
        AlertType.PRODUCTION_NEGATIVE: False
    }
    (utility,) = checks.production(production("2026-03-01T02:00:00Z", 8_333, house=None), LYON)
    assert utility.subject == AlertSubject(kind="producer", id="p-1")
    assert utility.observation == checks.Observation(AlertType.PRODUCER_NEGATIVE, "2026-03-01T02:00:00Z")


def refusal(kind: str, reason: str, house: str | None = "h-1") -> ReadingRefused:
    return ReadingRefused.model_validate(
        {
            "kind": kind,
            "reason": reason,
            "houseId": house,
            "producerId": "p-1",
            "timestamp": "2026-03-01T10:00:00Z",
            "detail": "why",
        }
    )


@pytest.mark.parametrize(
    ("kind", "reason", "house", "alert_type", "subject"),
    [
        ("consumption", "negative-energy", "h-1", AlertType.CONSUMPTION_NEGATIVE, HOUSE),
        ("production", "negative-energy", "h-1", AlertType.PRODUCTION_NEGATIVE, HOUSE),
        ("battery", "battery-physics", "h-1", AlertType.BATTERY_IMPOSSIBLE, HOUSE),
        (
            "production",
            "negative-energy",
            None,
            AlertType.PRODUCER_NEGATIVE,
            AlertSubject(kind="producer", id="p-1"),
        ),
    ],
)
def test_a_refused_reading_is_its_senders_fault(
    kind: str, reason: str, house: str | None, alert_type: AlertType, subject: AlertSubject
) -> None:
    (seen,) = checks.refused(refusal(kind, reason, house))
    assert (seen.subject, seen.observation.alert_type) == (subject, alert_type)
    assert seen.observation.fault is not None and dict(seen.observation.fault.details) == {"refused": "why"}


def test_an_accepted_battery_state_is_the_normal_observation_of_physics() -> None:
    state = BatteryState(batteryId="b-h-1", houseId="h-1", timestamp="2026-03-01T10:01:00Z", storedMwh=5)
    assert kinds(checks.battery(state)) == {AlertType.BATTERY_IMPOSSIBLE: False}


# The door: what is refused as a faulty meter's -------------------------------------------
def test_a_negative_energy_is_refused_naming_the_field_and_its_tick() -> None:
    body = ConsumptionBody.model_validate(
        {"timestamp": "2026-03-01T10:00:30Z", "objects": {"a": 1, "b": -0.5}}
    )
    with pytest.raises(NegativeEnergy) as caught:
        consumption_reading("h-1", body, 1, "consumption.3")
    assert (caught.value.field, caught.value.timestamp, caught.value.status) == (
        "consumption.3.objects.b",
        "2026-03-01T10:00:00Z",
        422,
    )
    producer = ProducerRecord(producerId="p-1", name="n", kind=ProducerKind.UTILITY, createdAt="t")
    with pytest.raises(NegativeEnergy) as produced:
        production_reading(
            producer, ProductionBody.model_validate({"timestamp": "2026-03-01T10:00:00Z", "wh": -1}), 1
        )
    assert produced.value.field == "body.wh"


def test_only_a_state_beyond_capacity_or_rates_breaks_physics() -> None:
    spec = BatterySpec(capacity_mwh=1_000_000, max_charge_w=60, max_discharge_w=60)  # 1 Wh a minute
    before = State(moment("2026-03-01T10:00"), 500_000)
    now = moment("2026-03-01T12:00")
    for impossible in (State(moment("2026-03-01T10:01"), 510_000), State(moment("2026-03-01T10:01"), -1)):
        with pytest.raises(PhysicsViolation):
            judge(spec, before, impossible, None, now)
    # A state in the grid's future, or out of order, is refused but is not physics
    with pytest.raises(Unprocessable) as future:
        judge(spec, before, State(moment("2026-03-01T13:00"), 500_000), None, now)
    assert not isinstance(future.value, PhysicsViolation)
    with pytest.raises(Conflict):
        judge(spec, before, State(moment("2026-03-01T09:00"), 500_000), None, now)
