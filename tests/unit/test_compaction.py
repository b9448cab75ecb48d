"""A long jump's backlog compacted per source and day, without AWS: the same energies, exactly."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from smartgrid.batteries import BatterySpec, State, Verdict, judge
from smartgrid.gridtime import iso, parse_instant
from smartgrid.models import Location
from smartgrid.simulation.compaction import Kind, Reading, compact
from smartgrid.simulation.house import ObjectSpec, SimBattery, SimHouse, SimObject, battery_states, simulate
from smartgrid.simulation.houses import battery_body, consumption_body, production_body
from smartgrid.simulation.timeline import report_intervals
from smartgrid.units import wh_to_mwh

START = datetime(2026, 3, 1, tzinfo=UTC)


def solar_house() -> SimHouse:
    objects = [
        {"name": "fridge", "kind": "base", "powerW": 120},
        {"name": "appliances", "kind": "appliance", "powerW": 700, "profile": "household"},
        {"name": "car", "kind": "schedulable", "powerW": 7400, "energyWh": 5000},
        {"name": "solar panels", "kind": "producer", "powerW": 4000, "profile": "solar"},
    ]
    return SimHouse(
        houseId="h-0123456789ab",
        name="Pierre & Marie",
        location=Location(lat=45.76, lon=4.84),
        token="h-0123456789ab.secret",
        producerId="p-0123456789ab",
        objects=[SimObject.of(ObjectSpec.model_validate(o)) for o in objects],
        createdAt="2026-03-01T00:00:00Z",
    )


def reported(start: datetime, end: datetime) -> list[Reading]:
    """What the house fleet hands the head-end for a move, as `HouseFleet.report` builds it."""
    house = solar_house()
    readings, _ = simulate(house, {}, report_intervals(start, end, 1))
    bodies: list[Reading] = []
    for reading in readings:
        if reading.objects:
            bodies.append(("consumption", consumption_body(house, reading)))
        bodies.append(("production", production_body("p-0123456789ab", reading)))
    return bodies


def energy_per_day(readings: Sequence[Reading]) -> Counter[tuple[Kind, str, str]]:
    """mWh per (kind, day, object), production under the object `production`."""
    found: Counter[tuple[Kind, str, str]] = Counter()
    for kind, body in readings:
        day = str(body["timestamp"])[:10]
        objects: Mapping[str, Any] = body["objects"] if kind == "consumption" else {"production": body["wh"]}
        for name, wh in objects.items():
            found[(kind, day, name)] += wh_to_mwh(wh)
    return found


def shape(readings: Sequence[Reading], kind: Kind) -> list[tuple[str, int]]:
    return [(str(b["timestamp"])[5:16], int(b["durationMinutes"])) for k, b in readings if k == kind]


def test_a_three_day_jump_posts_a_reading_a_day_then_its_last_day_hour_by_hour() -> None:
    # Given a house's hourly readings of a three-day jump from midnight
    hourly = reported(START, START + timedelta(days=3))
    # When the head-end compacts them
    compacted = compact(hourly)
    # Then the first two days are one reading each, the last day keeps its 24 hours
    expected = [("03-01T00:00", 1440), ("03-02T00:00", 1440)] + [(f"03-03T{h:02d}:00", 60) for h in range(24)]
    assert shape(compacted, "consumption") == expected
    assert shape(compacted, "production") == expected
    # And every object's energy of every day, and the production, are the same to the mWh
    assert energy_per_day(compacted) == energy_per_day(hourly)
    # And the day's reading sums its hours, each computed with its own hour's profile
    first_day = [b for k, b in hourly if k == "production" and str(b["timestamp"]) < "2026-03-02"]
    solar = next(b for k, b in compacted if k == "production")
    assert wh_to_mwh(solar["wh"]) == sum(wh_to_mwh(b["wh"]) for b in first_day) > 0


def test_a_jump_that_ends_in_the_afternoon_keeps_its_last_24_hours() -> None:
    # Given a jump from midnight to 15:00 two days later
    hourly = reported(START, START + timedelta(days=2, hours=15))
    # When compacted
    compacted = compact(hourly)
    # Then the first day is one reading, the second until 15:00 another, then hour by hour;
    # no reading crosses midnight
    expected = [("03-01T00:00", 1440), ("03-02T00:00", 900)] + [
        (f"03-{2 + (15 + h) // 24:02d}T{(15 + h) % 24:02d}:00", 60) for h in range(24)
    ]
    assert shape(compacted, "production") == expected
    for _, body in compacted:
        start = parse_instant(str(body["timestamp"]))
        end = start + timedelta(minutes=int(body["durationMinutes"]))
        assert (end - timedelta(minutes=1)).date() == start.date()
    assert energy_per_day(compacted) == energy_per_day(hourly)


def test_a_short_move_is_posted_as_it_is() -> None:
    # Given a move of 60 ticks, reported tick by tick / When compacted
    ticks = reported(START, START + timedelta(minutes=60))
    # Then nothing changes, not even the order
    assert compact(ticks) == ticks


def test_a_gap_in_a_day_splits_its_reading() -> None:
    # Given hourly consumption with no reading at 05:00 on the first of three days
    def body(hour: int) -> Reading:
        moment = START + timedelta(hours=hour)
        return (
            "consumption",
            {
                "houseId": "h-1",
                "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "durationMinutes": 60,
                "objects": {"fridge": 0.111},
            },
        )

    hourly = [body(h) for h in range(72) if h != 5]
    # When compacted
    compacted = compact(hourly)
    # Then the first day is two readings, around the gap, with the energy of their hours
    assert shape(compacted, "consumption")[:3] == [
        ("03-01T00:00", 300),
        ("03-01T06:00", 1080),
        ("03-02T00:00", 1440),
    ]
    assert [b["objects"]["fridge"] for _, b in compacted[:3]] == [0.555, 1.998, 2.664]


def with_battery(start: datetime, end: datetime) -> list[Reading]:
    """The house's readings and, as a house with a battery reports them, its states."""
    house = solar_house()
    battery = SimBattery(
        batteryId="b-h-0123456789ab",
        capacityMwh=5_000_000,
        maxChargeW=1000,
        maxDischargeW=1000,
        initialMwh=0,
        installedAt=iso(start),
    )
    readings, _ = simulate(house, {}, report_intervals(start, end, 1))
    states = battery_states(battery, 0, readings)
    return reported(start, end) + [("battery", battery_body(battery, s)) for s in states]


def test_a_jump_keeps_the_battery_at_each_midnight_then_its_last_24_hours() -> None:
    # Given a house with a battery over a jump from midnight to 15:00 two days later
    hourly = with_battery(START, START + timedelta(days=2, hours=15))
    # When compacted
    compacted = compact(hourly)
    # Then the battery is reported at the end of the first day, then hour by hour from 15:00 the day
    # after (where the second day's merged reading ends)
    kept = [str(b["timestamp"])[5:16] for k, b in compacted if k == "battery"]
    assert kept == ["03-02T00:00"] + [
        f"03-{2 + (15 + h) // 24:02d}T{(15 + h) % 24:02d}:00" for h in range(25)
    ]
    # And each kept state is the battery's state at that instant, within its rates of the one before
    every = {str(b["timestamp"]): b["storedWh"] for k, b in hourly if k == "battery"}
    previous = State(START, 0)
    spec = BatterySpec(5_000_000, 1000, 1000)
    for kind, body in compacted:
        if kind == "battery":
            assert body["storedWh"] == every[str(body["timestamp"])]
            state = State(parse_instant(str(body["timestamp"])), wh_to_mwh(body["storedWh"]))
            assert judge(spec, previous, state, None, state.at) is Verdict.ACCEPTED
            previous = state
    # And the readings are compacted as without a battery
    assert [r for r in compacted if r[0] != "battery"] == compact(
        reported(START, START + timedelta(days=2, hours=15))
    )


def test_a_short_move_with_a_battery_is_posted_as_it_is() -> None:
    ticks = with_battery(START, START + timedelta(minutes=30))
    assert compact(ticks) == ticks
