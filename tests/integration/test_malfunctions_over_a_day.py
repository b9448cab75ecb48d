"""Malfunctions over a simulated day, through the local runtime (story 21's measure of quality).

Healthy houses (the demo's simulated houses, panels included, one with a battery) report
every tick; beside them the test plays a town of meters as the head-end, healthy ones and
faulty ones: a house silent for six ticks, a consumption spike, a negative reading, panels
producing at night, a battery state that breaks physics, and a village whose houses mostly
fall silent. Every fault must be alerted within N + 1 ticks of the tick it began in (N, the
template's SilenceTicks, 3), no healthy house (nor community) be alerted at all, and every
alert close when its house reports normally again. Half-hour ticks play the day in 48.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from localcloud import LocalCloud
from smartgrid.simulation.demo import demo_houses, demo_producers
from tests.conftest import start_cloud
from tests.functions.support import TopicProbe
from tests.helpers import staff
from tests.integration.meters import (
    AlertLog,
    Meter,
    clock_now,
    consumption,
    fit_battery,
    later,
    make_producer,
    meter,
    post_battery_state,
    post_readings,
    production,
)

TICK_MINUTES = 30
SILENCE_TICKS = 3  # the template's default
TICKS = 24 * 60 // TICK_MINUTES
TOWN = (44.05, 3.95)  # the meters' town, far from the demo's (one community)
VILLAGE = (43.60, 3.90)  # three meters, a community of their own

# When each fault begins (the index of the tick whose reading is missing or wrong) and the
# tick from which its house is normal again.
SILENT_FROM, SILENT_UNTIL = 8, 14
NIGHT_PRODUCTION_AT = 4  # 02:00 UTC
SPIKE_AT = 20
NEGATIVE_AT = 26
IMPOSSIBLE_BATTERY_AT = 30
VILLAGE_SILENT_FROM, VILLAGE_SILENT_UNTIL = 36, 42


@dataclass(frozen=True)
class Injected:
    subject: str
    alert_type: str
    began: int
    healthy_again: int


@dataclass
class Day:
    cloud: LocalCloud
    alerts: AlertLog
    technicians: list[dict[str, Any]]
    injected: list[Injected]
    healthy: list[str]
    negative_batch: dict[str, Any]


def daylight(tick: int) -> bool:
    """The meters' panels produce from 08:00 to 16:00 UTC (the sun is up from about 06:15)."""
    return 16 <= tick < 32


def demo_fleet(cloud: LocalCloud) -> list[str]:
    """The demo's first houses (cars left out) and a house with panels and a battery."""
    ids = []
    bodies = demo_houses(4)
    for body in bodies:
        body["objects"] = [o for o in body["objects"] if o["kind"] != "schedulable"]
    bodies.append(
        {
            "name": "battery house",
            "location": {"lat": 45.76, "lon": 4.84},
            "objects": [
                {"name": "fridge", "kind": "base", "powerW": 200},
                {"name": "lighting", "kind": "appliance", "powerW": 800, "profile": "evening"},
                {"name": "solar panels", "kind": "producer", "powerW": 3000, "profile": "solar"},
            ],
            "battery": {"capacityWh": 5000, "maxChargeW": 1000, "maxDischargeW": 400},
        }
    )
    for body in bodies:
        ids.append(staff(cloud, "POST", "/sim/houses", body, 201)["houseId"])
    for body in demo_producers(len(bodies)):
        staff(cloud, "POST", "/sim/producers", body, 201)
    return ids


@pytest.fixture(scope="module")
def day() -> Iterator[Day]:
    cloud = start_cloud(LogLevel="ERROR", TickMinutes=str(TICK_MINUTES))
    alerts = AlertLog(TopicProbe(cloud, "AlertTopic"))
    technicians = TopicProbe(cloud, "TechniciansTopic")
    simulated = demo_fleet(cloud)
    # Given a town of meters: two healthy, and five that will fail one way each
    healthy = [meter(cloud, f"healthy {n}", TOWN[0] + 0.001 * n, TOWN[1]) for n in range(2)]
    silent, spiky, negative = (
        meter(cloud, name, TOWN[0] - 0.003, TOWN[1] + 0.001 * n)
        for n, name in enumerate(("silent", "spiky", "negative"))
    )
    night = meter(cloud, "night producer", TOWN[0], TOWN[1] + 0.004)
    battery = meter(cloud, "battery", TOWN[0], TOWN[1] + 0.005)
    village = [meter(cloud, f"village {n}", VILLAGE[0] + 0.001 * n, VILLAGE[1]) for n in range(3)]
    cloud.drain()
    for producing in (night, battery):
        make_producer(cloud, producing)
    fit_battery(cloud, battery, capacity_wh=5000, rate_w=1000)  # 500 Wh in or out a tick at most
    post_battery_state(cloud, battery, clock_now(cloud), 1000)
    everyone = [*healthy, silent, spiky, negative, night, battery, *village]
    village_community = staff(cloud, "GET", f"/houses/{village[0].id}")["communityId"]
    injected = [
        Injected(silent.id, "house.silent", SILENT_FROM, SILENT_UNTIL),
        Injected(night.id, "house.production.night", NIGHT_PRODUCTION_AT, NIGHT_PRODUCTION_AT + 1),
        Injected(spiky.id, "house.consumption.excessive", SPIKE_AT, SPIKE_AT + 1),
        Injected(negative.id, "house.consumption.negative", NEGATIVE_AT, NEGATIVE_AT + 1),
        Injected(battery.id, "house.battery.impossible", IMPOSSIBLE_BATTERY_AT, IMPOSSIBLE_BATTERY_AT + 1),
        *(Injected(v.id, "house.silent", VILLAGE_SILENT_FROM, VILLAGE_SILENT_UNTIL) for v in village[:2]),
        Injected(village_community, "community.silent", VILLAGE_SILENT_FROM, VILLAGE_SILENT_UNTIL),
    ]

    def quiet(target: Meter, tick: int) -> bool:
        if target is silent:
            return SILENT_FROM <= tick < SILENT_UNTIL
        return target in village[:2] and VILLAGE_SILENT_FROM <= tick < VILLAGE_SILENT_UNTIL

    negative_batch: dict[str, Any] = {}
    # When the day passes, the meters reporting each tick after it (as the simulated houses do)
    for tick in range(TICKS):
        start = clock_now(cloud)
        cloud.tick()
        consumed = []
        for target in everyone:
            if quiet(target, tick):
                continue
            wh = target.consumption_wh
            if target is spiky and tick == SPIKE_AT:
                wh = 30_000.0  # 60 kW over half an hour
            if target is negative and tick == NEGATIVE_AT:
                wh = -50.0
            consumed.append(consumption(target, start, TICK_MINUTES, wh))
        sun_wh = 500.0 if daylight(tick) else 0.0
        produced = [
            production(night, start, TICK_MINUTES, 400.0 if tick == NIGHT_PRODUCTION_AT else sun_wh),
            production(battery, start, TICK_MINUTES, sun_wh),
        ]
        receipt = post_readings(cloud, consumed, produced)
        if tick == NEGATIVE_AT:
            negative_batch = receipt
        swing = 300.0 if tick % 2 else -300.0  # within its 500 Wh a tick
        stored = battery.stored_wh + (2000.0 if tick == IMPOSSIBLE_BATTERY_AT else swing)
        post_battery_state(cloud, battery, later(start, TICK_MINUTES), stored)
        cloud.drain()
        alerts.collect(tick)
    yield Day(
        cloud,
        alerts,
        technicians.messages(),
        injected,
        [*simulated, *(h.id for h in healthy), village[2].id],
        negative_batch,
    )
    cloud.stop()


def test_every_fault_is_alerted_within_n_plus_one_ticks(day: Day) -> None:
    # Then each injected fault opened its alert by the end of tick began + N (its reading of
    # tick `began` was due once that tick was over)
    for fault in day.injected:
        seen = day.alerts.first(fault.subject, fault.alert_type, "open")
        assert seen is not None, fault
        ticks_taken = seen + 1 - fault.began
        assert 1 <= ticks_taken <= SILENCE_TICKS + 1, (fault, ticks_taken)
    # And a silence takes exactly that long (a reading may be a tick late), a bad reading one tick
    assert day.alerts.first(day.injected[0].subject, "house.silent", "open") == SILENT_FROM + SILENCE_TICKS
    assert day.alerts.first(day.injected[2].subject, "house.consumption.excessive", "open") == SPIKE_AT


def test_no_healthy_house_nor_community_is_alerted(day: Day) -> None:
    # Then every alert of the day is one of the injected faults: none of the simulated houses
    # (panels by day, a battery, evening peaks), of the healthy meters, nor the town's community
    expected = {(f.subject, f.alert_type) for f in day.injected}
    raised = {(a["subject"]["id"], a["alertType"]) for _, a in day.alerts.malfunctions()}
    assert raised == expected
    assert not set(day.healthy) & day.alerts.subjects()


def test_each_alert_is_raised_once_and_closes_when_its_house_reports_normally_again(day: Day) -> None:
    for fault in day.injected:
        opened = [
            a
            for _, a in day.alerts.malfunctions()
            if (a["subject"]["id"], a["alertType"], a["status"]) == (fault.subject, fault.alert_type, "open")
        ]
        closed_at = day.alerts.first(fault.subject, fault.alert_type, "closed")
        # Then one alert (one id) per fault, refreshed at most while it lasted
        assert len({a["alertId"] for a in opened}) == 1, fault
        # And it closed on the first move after the house reported normally again
        assert closed_at is not None and fault.healthy_again <= closed_at <= fault.healthy_again + 1, fault
    # And staff see none open at the end of the day, all of them closed
    assert staff(day.cloud, "GET", "/alerts?status=open")["alerts"] == []
    closed = staff(day.cloud, "GET", "/alerts?status=closed&limit=100")["alerts"]
    assert {(a["subject"]["id"], a["alertType"]) for a in closed} == {
        (f.subject, f.alert_type) for f in day.injected
    }


def test_technicians_are_sent_each_alert_when_it_opens_and_when_it_closes_once(day: Day) -> None:
    # (a queue subscribed to their topic gets each sending as JSON; e-mail and SMS get text)
    sent = day.technicians
    assert sorted(
        (s["delivery"], s["alert"]["alertType"], s["alert"]["subject"]["id"]) for s in sent
    ) == sorted(
        (delivery, f.alert_type, f.subject) for f in day.injected for delivery in ("opened", "closed")
    )


def test_a_negative_reading_is_refused_alone_and_the_grid_is_whole(day: Day) -> None:
    # Then the head-end's batch with the negative reading had only that one refused
    batch = day.negative_batch
    assert batch["refused"] == 1 and batch["accepted"] == len(batch["results"]) - 1
    (refused,) = [r for r in batch["results"] if r["status"] == "refused"]
    assert "negative" in refused["reason"]
    # And nothing ended in a dead-letter queue
    assert not any(day.cloud.dead_letters().values())
