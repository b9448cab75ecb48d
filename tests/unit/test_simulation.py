"""The simulators' physics, without AWS: report intervals, house objects, producers, batches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from pydantic import ValidationError

from smartgrid.gridclient import BatchOutcome
from smartgrid.models import Location
from smartgrid.planning import Window, place
from smartgrid.simulation.fleet import Outbox
from smartgrid.simulation.house import (
    ObjectChange,
    ObjectKind,
    ObjectSchedule,
    ObjectSpec,
    PlanMark,
    Progress,
    SimHouse,
    SimHouseState,
    SimObject,
    delivered_wh,
    energy_mwh,
    needs_plan,
    plan_request,
    simulate,
    step,
)
from smartgrid.simulation.producer import effective_w, production_mwh
from smartgrid.simulation.profiles import Profile
from smartgrid.simulation.timeline import ClockMove, Interval, report_intervals, span_to_report
from smartgrid.units import watts_over_minutes_mwh

LYON = Location(lat=45.76, lon=4.84)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def house(*objects: ObjectSpec | dict[str, Any], producer: str | None = None) -> SimHouse:
    specs = [o if isinstance(o, ObjectSpec) else ObjectSpec.model_validate(o) for o in objects]
    return SimHouse(
        houseId="h-0123456789ab",
        name="Pierre & Marie",
        location=LYON,
        token="h-0123456789ab.secret",
        producerId=producer,
        objects=[SimObject.of(s) for s in specs],
        createdAt="2026-03-01T00:00:00Z",
    )


def ticks(start: str, count: int) -> list[Interval]:
    return [Interval(at(start) + timedelta(minutes=n), 1) for n in range(count)]


# --- report intervals ----------------------------------------------------------------------------


def test_a_short_move_is_reported_tick_by_tick() -> None:
    intervals = report_intervals(at("2026-03-01T23:58:00"), at("2026-03-02T00:02:00"), 1)
    assert [(i.timestamp, i.minutes) for i in intervals] == [
        ("2026-03-01T23:58:00Z", 1),
        ("2026-03-01T23:59:00Z", 1),
        ("2026-03-02T00:00:00Z", 1),
        ("2026-03-02T00:01:00Z", 1),
    ]


def test_sixty_ticks_are_still_ticks_and_sixty_one_are_hours() -> None:
    start = at("2026-03-01T10:30:00")
    assert len(report_intervals(start, start + timedelta(minutes=60), 1)) == 60
    coarse = report_intervals(start, start + timedelta(minutes=61), 1)
    assert [(i.timestamp, i.minutes) for i in coarse] == [
        ("2026-03-01T10:30:00Z", 30),
        ("2026-03-01T11:00:00Z", 31),
    ]


def test_a_long_jump_is_cut_at_every_hour_and_never_crosses_midnight() -> None:
    # Given a jump from 22:15 to 02:40 the next day
    intervals = report_intervals(at("2026-03-01T22:15:00"), at("2026-03-02T02:40:00"), 1)
    # Then one reading per hour, cut at the hour, none across midnight, covering it all
    assert [(i.timestamp, i.minutes) for i in intervals] == [
        ("2026-03-01T22:15:00Z", 45),
        ("2026-03-01T23:00:00Z", 60),
        ("2026-03-02T00:00:00Z", 60),
        ("2026-03-02T01:00:00Z", 60),
        ("2026-03-02T02:00:00Z", 40),
    ]
    assert all(i.start.date() == (i.end - timedelta(seconds=1)).date() for i in intervals)


def test_three_months_are_hours_end_to_end() -> None:
    start, end = at("2026-03-01T00:00:00"), at("2026-06-01T00:00:00")
    intervals = report_intervals(start, end, 1)
    assert len(intervals) == 92 * 24
    assert intervals[0].start == start and intervals[-1].end == end
    assert all(a.end == b.start for a, b in pairwise(intervals))


def test_coarse_cuts_fall_on_ticks_when_a_tick_does_not_divide_the_hour() -> None:
    # Given 7-minute ticks (counted from midnight) / Then every cut is on a tick
    intervals = report_intervals(at("2026-03-01T00:00:00"), at("2026-03-01T07:00:00"), 7)
    assert all((i.start.hour * 60 + i.start.minute) % 7 == 0 and i.minutes % 7 == 0 for i in intervals)


def test_nothing_to_report_for_an_empty_move() -> None:
    assert report_intervals(at("2026-03-01T10:00:00"), at("2026-03-01T10:00:00"), 1) == []


def test_span_starts_where_the_source_stopped_and_skips_what_it_reported() -> None:
    move = ClockMove(previous="2026-03-01T10:00:00Z", now="2026-03-01T10:05:00Z", ticks=5, tickMinutes=1)
    # A source whose report of an earlier move failed catches up from where it stopped
    assert span_to_report(move, "2026-03-01T09:58:00Z") == (
        at("2026-03-01T09:58:00"),
        at("2026-03-01T10:05:00"),
    )
    assert span_to_report(move, "2026-03-01T10:02:00Z") == (
        at("2026-03-01T10:02:00"),
        at("2026-03-01T10:05:00"),
    )
    assert span_to_report(move, "2026-03-01T10:05:00Z") is None  # a retried event


# --- objects ---------------------------------------------------------------------------------------


def test_a_flat_object_uses_its_power_over_the_interval() -> None:
    fridge = SimObject.of(ObjectSpec(name="fridge", kind=ObjectKind.BASE, powerW=1000))
    assert energy_mwh(fridge, Interval(at("2026-03-01T03:00:00"), 1), LYON) == 16_667
    assert energy_mwh(fridge, Interval(at("2026-03-01T03:00:00"), 60), LYON) == 1_000_000


def test_a_profiled_object_is_read_at_the_middle_of_its_interval() -> None:
    lighting = SimObject.of(
        ObjectSpec(name="lighting", kind=ObjectKind.APPLIANCE, powerW=400, profile=Profile.EVENING)
    )
    night = energy_mwh(lighting, Interval(at("2026-03-01T03:00:00"), 60), LYON)
    evening = energy_mwh(lighting, Interval(at("2026-03-01T19:00:00"), 60), LYON)
    assert evening > 10 * night > 0


def test_schedulable_object_defaults_to_five_hours_of_its_power() -> None:
    car = SimObject.of(ObjectSpec(name="car", kind=ObjectKind.SCHEDULABLE, powerW=2000))
    assert car.energyWh == 10_000


@pytest.mark.parametrize("extra", [{"energyWh": 100}, {"deadline": "2026-03-02T07:00:00Z"}])
def test_energy_and_deadline_are_for_schedulable_objects_only(extra: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ObjectSpec.model_validate({"name": "oven", "kind": "appliance", "powerW": 2000, **extra})


def test_object_names_are_path_segments() -> None:
    with pytest.raises(ValidationError):
        ObjectSpec.model_validate({"name": "a/b", "kind": "base", "powerW": 1})


# --- a house over time ---------------------------------------------------------------------------------


def test_each_consuming_object_reports_its_energy_and_producers_sum_up() -> None:
    # Given a house with a fridge, a disabled blender, and two producing objects
    home = house(
        {"name": "fridge", "kind": "base", "powerW": 120},
        {"name": "blender", "kind": "appliance", "powerW": 500, "enabled": False},
        {"name": "reactor", "kind": "producer", "powerW": 1500},
        {"name": "turbine", "kind": "producer", "powerW": 600},
        producer="p-h-0123456789ab",
    )
    # When it lives one tick
    reading, _ = step(home, {}, Interval(at("2026-03-01T03:00:00"), 1))
    # Then the fridge reports W x tick, the blender nothing, production is both producers
    assert reading.objects == {"fridge": 2_000}
    assert reading.production_mwh == 25_000 + 10_000


def planned(obj: SimObject, start: str, *blocked: tuple[str, str]) -> ObjectSchedule:
    """The plan the scheduler makes: full power from `start`, around `blocked` windows."""
    slots = place(obj.target_mwh, obj.powerW, at(start), [Window(at(a), at(b)) for a, b in blocked])
    return ObjectSchedule(tuple(slots), slots[-1].end)


def test_a_schedulable_object_draws_its_plan_until_its_energy_is_delivered() -> None:
    # Given a car that needs 100 Wh at 2,000 W (33.333 Wh a tick), planned from 22:00
    home = house({"name": "car", "kind": "schedulable", "powerW": 2000, "energyWh": 100})
    plan = {"car": planned(home.objects[0], "2026-03-01T22:00:00")}
    # When five ticks pass
    readings, progress = simulate(home, {}, ticks("2026-03-01T22:00:00", 5), plan)
    # Then it draws three ticks, the third taking what is left (never a rounding remainder), then nothing
    assert [r.objects.get("car", 0) for r in readings] == [33_333, 33_333, 33_334, 0, 0]
    assert progress == {"car": Progress(cycle=0, mwh=100_000)}


def test_a_schedulable_object_without_a_plan_waits() -> None:
    home = house({"name": "car", "kind": "schedulable", "powerW": 2000, "energyWh": 100})
    readings, progress = simulate(home, {}, ticks("2026-03-01T22:00:00", 3))
    assert [r.objects for r in readings] == [{}, {}, {}]
    assert progress == {"car": Progress(cycle=0, mwh=0)}


def test_a_shed_object_stops_in_the_window_and_resumes_after_it() -> None:
    # Given a car of 6,000 W needing 300 Wh (3 ticks), its community shed from 22:01 to 22:03
    home = house({"name": "car", "kind": "schedulable", "powerW": 6000, "energyWh": 300})
    plan = {
        "car": planned(home.objects[0], "2026-03-01T22:00:00", ("2026-03-01T22:01:00", "2026-03-01T22:03:00"))
    }
    # When six ticks pass
    readings, _ = simulate(home, {}, ticks("2026-03-01T22:00:00", 6), plan)
    # Then it draws before the window and after it, never in it
    assert [r.objects.get("car", 0) for r in readings] == [100_000, 0, 0, 100_000, 100_000, 0]


def test_a_plan_in_an_hourly_interval_is_its_energy_there() -> None:
    home = house({"name": "car", "kind": "schedulable", "powerW": 2000, "energyWh": 3000})
    plan = {"car": planned(home.objects[0], "2026-03-01T22:30:00")}
    hours = report_intervals(at("2026-03-01T22:00:00"), at("2026-03-02T03:00:00"), 1)
    readings, _ = simulate(home, {}, hours, plan)
    assert [r.objects.get("car", 0) for r in readings] == [1_000_000, 2_000_000, 0, 0, 0]


def test_a_disabled_schedulable_object_keeps_its_progress_and_a_new_cycle_starts_over() -> None:
    home = house({"name": "car", "kind": "schedulable", "powerW": 6000, "energyWh": 200})
    _, progress = simulate(
        home, {}, ticks("2026-03-01T22:00:00", 1), {"car": planned(home.objects[0], "2026-03-01T22:00:00")}
    )
    assert progress["car"].mwh == 100_000
    # When it is disabled, then enabled again: a new cycle (plugged in again), with a new plan
    car = home.objects[0].changed(ObjectChange(enabled=False)).changed(ObjectChange(enabled=True))
    assert car.cycle == 1
    assert needs_plan(car, progress) and PlanMark.of(car) != PlanMark.of(home.objects[0])
    replugged = home.model_copy(update={"objects": [car]})
    plan = {"car": planned(car, "2026-03-01T22:01:00")}
    readings, progress = simulate(replugged, progress, ticks("2026-03-01T22:01:00", 3), plan)
    assert [r.objects.get("car", 0) for r in readings] == [100_000, 100_000, 0]
    assert delivered_wh(car, SimHouseState(reportedUntil="x", delivered=progress)) == 200.0
    assert not needs_plan(car, progress)


def test_a_plan_request_asks_for_what_is_left_by_a_deadline_it_can_meet() -> None:
    car = SimObject.of(
        ObjectSpec(
            name="car",
            kind=ObjectKind.SCHEDULABLE,
            powerW=2000,
            energyWh=10_000,
            deadline=at("2026-03-02T01:00:00"),
        )
    )
    # Given 4 kWh delivered, 6 kWh left at 2 kW (3 h), and a deadline 2 h away
    body = plan_request(car, 4_000_000, at("2026-03-01T23:00:00"))
    # Then it asks for 6 kWh, by the soonest it can finish (3 h: flat out), not the deadline it cannot meet
    assert body == {
        "energyWh": 6000.0,
        "maxPowerW": 2000,
        "earliestStart": "2026-03-01T23:00:00Z",
        "deadline": "2026-03-02T02:00:00Z",
    }


def test_progress_of_removed_objects_is_forgotten() -> None:
    home = house({"name": "fridge", "kind": "base", "powerW": 100})
    _, progress = step(home, {"car": Progress(cycle=0, mwh=5)}, Interval(at("2026-03-01T03:00:00"), 1))
    assert progress == {}


def test_a_day_in_ticks_or_in_hours_of_a_flat_house_is_the_same_energy() -> None:
    home = house({"name": "fridge", "kind": "base", "powerW": 1000})
    fine, _ = simulate(home, {}, ticks("2026-03-01T00:00:00", 60))
    coarse, _ = simulate(home, {}, report_intervals(at("2026-03-01T00:00:00"), at("2026-03-02T00:00:00"), 1))
    assert sum(r.objects["fridge"] for r in fine) == 60 * watts_over_minutes_mwh(1000, 1) == 1_000_020
    assert sum(r.objects["fridge"] for r in coarse) == 24 * 1_000_000


def test_changing_an_object_keeps_what_is_not_changed() -> None:
    fridge = SimObject.of(ObjectSpec(name="fridge", kind=ObjectKind.BASE, powerW=100))
    assert fridge.changed(ObjectChange(powerW=150)).model_dump() == {**fridge.model_dump(), "powerW": 150}
    with pytest.raises(ValueError):
        fridge.changed(ObjectChange(energyWh=10))
    with pytest.raises(ValidationError):
        ObjectChange()


# --- producers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("own", "setpoint", "limit", "expected"),
    [
        (1000, None, 10_000, 1000),  # no setpoint: its own production
        (1000, 4000, 10_000, 4000),  # the adapter's setpoint
        (1000, 12_000, 10_000, 10_000),  # never above its limit
        (20_000, None, 10_000, 10_000),
        (1000, -50, 10_000, 0),  # nor below zero
    ],
)
def test_a_producer_follows_its_setpoint_within_its_limit(
    own: float, setpoint: float | None, limit: float, expected: float
) -> None:
    assert effective_w(own, setpoint, limit) == expected


def test_production_is_power_times_the_interval() -> None:
    assert production_mwh(1000, Interval(at("2026-03-01T10:00:00"), 1)) == 16_667
    assert production_mwh(1000, Interval(at("2026-03-01T10:00:00"), 60)) == 1_000_000


# --- batches ---------------------------------------------------------------------------------------------


class FakeClient:
    def __init__(self) -> None:
        self.batches: list[tuple[int, int]] = []

    def post_readings(
        self, consumption: Sequence[Mapping[str, Any]], production: Sequence[Mapping[str, Any]]
    ) -> BatchOutcome:
        self.batches.append((len(consumption), len(production)))
        outcome = BatchOutcome()
        outcome.add({"accepted": len(consumption) + len(production), "duplicates": 0, "refused": 0})
        return outcome


def test_readings_go_in_full_batches_and_a_state_is_saved_once_its_readings_are_posted() -> None:
    # Given an outbox of batches of 4
    client = FakeClient()
    saved: list[list[str]] = []
    outbox: Outbox[SimHouseState] = Outbox(
        lambda: client,  # type: ignore[arg-type, return-value]
        lambda states: saved.append(list(states)),
        batch=4,
    )
    state = SimHouseState(reportedUntil="2026-03-01T00:01:00Z")
    tick = {"timestamp": "2026-03-01T00:00:00Z", "durationMinutes": 1}
    # When three houses add 3, 3 and 1 readings of a tick (one of them production)
    outbox.add("h-1", [("consumption", tick)] * 3, state)
    outbox.add("h-2", [("consumption", tick), ("production", tick), ("consumption", tick)], state)
    assert client.batches == [(4, 0)] and saved == [["h-1"]]  # h-2 is not all posted yet
    outbox.add("h-3", [("consumption", tick)], state)
    outcome = outbox.close()
    # Then two batches were posted, and every house was saved after its own readings
    assert client.batches == [(4, 0), (2, 1)]
    assert saved == [["h-1"], ["h-2", "h-3"]]
    assert (outcome.batches, outcome.accepted) == (2, 7)


def test_a_long_jump_is_posted_a_reading_a_day_but_its_last_day() -> None:
    # Given an outbox / When a producer adds 72 hourly readings of a three-day jump
    client = FakeClient()
    outbox: Outbox[SimHouseState] = Outbox(
        lambda: client,  # type: ignore[arg-type, return-value]
        lambda states: None,
    )
    hours = [
        (
            "production",
            {
                "producerId": "p-1",
                "timestamp": f"2026-03-{1 + h // 24:02d}T{h % 24:02d}:00:00Z",
                "durationMinutes": 60,
                "wh": 1.5,
            },
        )
        for h in range(72)
    ]
    outbox.add("p-1", hours, SimHouseState(reportedUntil="2026-03-04T00:00:00Z"))
    outbox.close()
    # Then it posts 2 daily readings and the last day's 24 hours (see test_compaction)
    assert client.batches == [(0, 26)]


def test_a_house_without_readings_is_saved_too() -> None:
    client = FakeClient()
    saved: list[list[str]] = []
    outbox: Outbox[SimHouseState] = Outbox(
        lambda: client,  # type: ignore[arg-type, return-value]
        lambda states: saved.append(list(states)),
    )
    outbox.add("h-1", [], SimHouseState(reportedUntil="2026-03-01T00:01:00Z"))
    outbox.close()
    assert client.batches == [] and saved == [["h-1"]]


class FakeHeadEnd(FakeClient):
    """Also takes battery states (`POST /batteries/states`)."""

    def __init__(self) -> None:
        super().__init__()
        self.states: list[int] = []

    def post_battery_states(self, states: Sequence[Mapping[str, Any]]) -> BatchOutcome:
        self.states.append(len(states))
        outcome = BatchOutcome()
        outcome.add({"accepted": len(states), "duplicates": 0, "refused": 0})
        return outcome


def test_battery_states_go_to_their_own_route_and_a_house_is_saved_after_them() -> None:
    # Given an outbox of batches of 4
    client = FakeHeadEnd()
    saved: list[list[str]] = []
    outbox: Outbox[SimHouseState] = Outbox(
        lambda: client,  # type: ignore[arg-type, return-value]
        lambda states: saved.append(list(states)),
        batch=4,
    )
    tick = {"timestamp": "2026-03-01T00:00:00Z", "durationMinutes": 1}
    state = {"batteryId": "b-h-1", "timestamp": "2026-03-01T00:01:00Z", "storedWh": 1.5}
    # When a house with a battery adds two ticks of readings and their states, and one without adds one
    outbox.add(
        "h-1",
        [("consumption", tick), ("production", tick), ("battery", state)] * 2,
        SimHouseState(reportedUntil="x"),
    )
    outbox.add("h-2", [("consumption", tick)], SimHouseState(reportedUntil="x"))
    outcome = outbox.close()
    # Then readings and states are posted apart, batch by batch, and every house saved after its own
    assert client.batches == [(2, 1), (1, 1)] and client.states == [1, 1]
    assert saved == [["h-1", "h-2"]]
    assert (outcome.batches, outcome.accepted) == (4, 7)
