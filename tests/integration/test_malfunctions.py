"""Malfunction alerts through the local runtime, rule by rule: staff list and acknowledge them,
every message delivered twice raises each alert once, a long jump of the clock raises no
false silence, a community whose readings stop adding up is alerted, and a utility producer's
negative production too. Minute ticks; each test watches its own meters (those of earlier
tests fall silent when their test ends, and are alerted: that is right)."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import timedelta
from typing import Any

import pytest

from localcloud import LocalCloud
from smartgrid.gridtime import iso, parse_instant
from tests.conftest import STAFF_TOKEN, start_cloud
from tests.functions.support import TopicProbe
from tests.helpers import register_producer, staff
from tests.integration.meters import (
    AlertLog,
    Meter,
    clock_now,
    consumption,
    later,
    meter,
    post_readings,
)

SILENCE_TICKS = 3
FRAME_DELAY = 5


@pytest.fixture(scope="module")
def grid() -> Iterator[LocalCloud]:
    cloud = start_cloud(LogLevel="ERROR")
    yield cloud
    cloud.stop()


@pytest.fixture
def alerts(grid: LocalCloud) -> Iterator[AlertLog]:
    log = AlertLog(TopicProbe(grid, "AlertTopic"))
    yield log
    log.probe.close()


def ticks(
    cloud: LocalCloud, meters: list[Meter], count: int, log: AlertLog, quiet: Collection[str] = ()
) -> None:
    """`count` ticks, each followed by every meter's reading of it (those in `quiet` say nothing)."""
    for _ in range(count):
        start = clock_now(cloud)
        cloud.tick()
        readings = [consumption(m, start, 1) for m in meters if m.id not in quiet]
        if readings:
            post_readings(cloud, readings)
        cloud.drain()
        log.collect(0)


def community_of(cloud: LocalCloud, target: Meter) -> str:
    return str(staff(cloud, "GET", f"/houses/{target.id}")["communityId"])


def mine(log: AlertLog, subjects: set[str]) -> list[dict[str, Any]]:
    return [a for _, a in log.malfunctions() if a["subject"]["id"] in subjects]


class TestStaff:
    def test_staff_list_alerts_by_status_and_community_and_acknowledge_them(
        self, grid: LocalCloud, alerts: AlertLog
    ) -> None:
        # Given two neighbours reporting, then one falls silent
        quiet, talkative = (meter(grid, f"staff {n}", 47.0, 1.0 + 0.001 * n) for n in range(2))
        grid.drain()
        community = community_of(grid, quiet)
        ticks(grid, [quiet, talkative], 2, alerts)
        ticks(grid, [quiet, talkative], SILENCE_TICKS + 1, alerts, quiet={quiet.id})
        # When staff list the open alerts of its community
        listed = staff(grid, "GET", f"/alerts?status=open&communityId={community}")
        # Then the silent house's alert is there, alone
        (alert,) = listed["alerts"]
        assert (alert["subject"], alert["alertType"], alert["communityId"]) == (
            {"kind": "house", "id": quiet.id},
            "house.silent",
            community,
        )
        assert listed["status"] == "open" and listed["next"] is None
        assert staff(grid, "GET", f"/alerts/{alert['alertId']}") == alert
        # When a technician acknowledges it (twice: the same answer)
        acked = staff(grid, "POST", f"/alerts/{alert['alertId']}/ack")
        assert staff(grid, "POST", f"/alerts/{alert['alertId']}/ack") == acked
        # Then it is acknowledged at the grid's time, listed as such and no more as open
        assert (acked["status"], acked["ackedAt"]) == ("acked", clock_now(grid))
        assert [
            a["alertId"]
            for a in staff(grid, "GET", f"/alerts?status=acked&communityId={community}")["alerts"]
        ] == [alert["alertId"]]
        assert staff(grid, "GET", f"/alerts?status=open&communityId={community}")["alerts"] == []
        # When the house reports again
        ticks(grid, [quiet, talkative], 2, alerts)
        # Then the alert closed by itself, and can no more be acknowledged
        closed = staff(grid, "GET", f"/alerts/{alert['alertId']}")
        assert (
            closed["status"] == "closed"
            and closed["closedAt"] is not None
            and closed["ackedAt"] == acked["ackedAt"]
        )
        refused = grid.request("POST", f"/alerts/{alert['alertId']}/ack", token=STAFF_TOKEN)
        assert refused.status == 409 and refused.json()["fields"][0]["field"] == "alertId"

    def test_only_staff_read_and_acknowledge_alerts(self, grid: LocalCloud) -> None:
        house = meter(grid, "nosy", 47.5, 1.5).house
        for method, path in (("GET", "/alerts"), ("GET", "/alerts/al-x1"), ("POST", "/alerts/al-x1/ack")):
            assert grid.request(method, path).status == 401
            assert grid.request(method, path, token="h-nobody.secret").status == 401
            assert grid.request(method, path, token=house.token).status == 403
        missing = grid.request("POST", "/alerts/al-unknown/ack", token=STAFF_TOKEN)
        assert missing.status == 404 and missing.json()["fields"][0]["field"] == "alertId"
        bad = grid.request("GET", "/alerts?status=broken", token=STAFF_TOKEN)
        assert bad.status == 422 and bad.json()["fields"][0]["field"] == "query.status"


class TestRedelivery:
    def test_every_message_delivered_twice_raises_each_alert_once(
        self, grid: LocalCloud, alerts: AlertLog
    ) -> None:
        technicians = TopicProbe(grid, "TechniciansTopic")
        # Given two meters, and every SQS batch delivered twice from now on
        quiet, spiky = (meter(grid, f"twice {n}", 48.0, 2.0 + 0.001 * n) for n in range(2))
        grid.drain()
        grid.deliver_twice(1.0)
        try:
            ticks(grid, [quiet, spiky], 1, alerts)
            # When one falls silent, and the other sends a spike then a negative reading
            start = clock_now(grid)
            grid.tick()
            post_readings(grid, [consumption(spiky, start, 1, wh=1000.0)])  # 60 kW
            grid.drain()
            start = clock_now(grid)
            grid.tick()
            post_readings(grid, [consumption(spiky, start, 1, wh=-1.0)])
            grid.drain()
            ticks(grid, [quiet, spiky], SILENCE_TICKS, alerts, quiet={quiet.id})
            alerts.collect(0)
        finally:
            grid.deliver_twice(0.0)
        # Then staff see one alert per fault
        opened = staff(grid, "GET", "/alerts?status=open&limit=100")["alerts"]
        closed = staff(grid, "GET", "/alerts?status=closed&limit=100")["alerts"]
        ours = [a for a in opened + closed if a["subject"]["id"] in (quiet.id, spiky.id)]
        assert sorted((a["subject"]["id"], a["alertType"]) for a in ours) == sorted(
            [
                (quiet.id, "house.silent"),
                (spiky.id, "house.consumption.excessive"),
                (spiky.id, "house.consumption.negative"),
            ]
        )
        # And the bus carried one alert id per fault, technicians were sent each opening once
        assert len({a["alertId"] for a in mine(alerts, {quiet.id, spiky.id})}) == 3
        sent = [m for m in technicians.messages() if m["alert"]["subject"]["id"] in (quiet.id, spiky.id)]
        technicians.close()
        opened_sent = sorted(m["alert"]["alertType"] for m in sent if m["delivery"] == "opened")
        assert opened_sent == sorted(
            ["house.silent", "house.consumption.excessive", "house.consumption.negative"]
        )


class TestJumps:
    def test_a_long_jump_raises_no_silence_even_for_a_house_that_reports_it_late(
        self, grid: LocalCloud, alerts: AlertLog
    ) -> None:
        # Given simulated houses, a meter the test reports for, and one that will not report the jump
        simulated = [
            staff(
                grid,
                "POST",
                "/sim/houses",
                {
                    "name": f"jumper {n}",
                    "location": {"lat": 49.0, "lon": 3.0 + 0.001 * n},
                    "objects": [{"name": "fridge", "kind": "base", "powerW": 150}],
                },
                201,
            )["houseId"]
            for n in range(2)
        ]
        late, lost = (meter(grid, f"late {n}", 49.0, 3.01 + 0.001 * n) for n in range(2))
        grid.drain()
        ticks(grid, [late, lost], 2, alerts)
        # When staff fast-forward two days, and the late meter posts the jumped span a tick later
        jumped_from = clock_now(grid)
        staff(grid, "POST", "/clock/advance", {"ticks": 2 * 1440})
        grid.drain()
        jumped_to = clock_now(grid)
        start = clock_now(grid)
        grid.tick()
        grid.drain()
        alerts.collect(0)
        post_readings(
            grid,
            [consumption(late, at, span, wh=100.0) for at, span in day_spans(jumped_from, jumped_to)]
            + [consumption(late, start, 1)],
        )
        grid.drain()
        ticks(grid, [late], SILENCE_TICKS + 2, alerts)
        # Then neither the simulated houses nor the late meter were alerted
        assert mine(alerts, {*simulated, late.id}) == []
        # And the meter that never reported the jump was, N moves after it
        (silence,) = [a for a in mine(alerts, {lost.id}) if a["status"] == "open"]
        assert (silence["alertType"], silence["since"]) == ("house.silent", jumped_from)


def day_spans(start: str, end: str) -> list[tuple[str, int]]:
    """[start, end) as readings a head-end may post: (start, minutes), none across midnight."""
    spans = []
    moment, stop = parse_instant(start), parse_instant(end)
    while moment < stop:
        midnight = (moment + timedelta(days=1)).replace(hour=0, minute=0)
        following = min(midnight, stop)
        spans.append((iso(moment), int((following - moment).total_seconds() // 60)))
        moment = following
    return spans


class TestTallies:
    def test_a_community_whose_readings_stop_adding_up_is_alerted_until_they_do_again(
        self, grid: LocalCloud, alerts: AlertLog
    ) -> None:
        # Given a community of two meters reporting every tick
        pair = [meter(grid, f"tally {n}", 50.0, 4.0 + 0.001 * n) for n in range(2)]
        grid.drain()
        community = community_of(grid, pair[0])
        ticks(grid, pair, 2, alerts)
        # When electricity-frame loses the readings of one tick (its queue emptied before it read them)
        lost_tick = clock_now(grid)
        grid.tick()
        post_readings(grid, [consumption(m, lost_tick, 1) for m in pair])
        adder = next(s for s in grid.sqs_sources if s.host.spec.logical_id == "ConsumptionAdderFunction")
        while adder.poll():
            pass
        with grid.locked():
            grid.clients.sqs.purge_queue(QueueUrl=grid.provisioned.queues["ElectricityFrameQueue"])
        grid.drain()
        # And the frames close (FrameDelayTicks later), one more tick after
        ticks(grid, pair, FRAME_DELAY + 1, alerts)
        # Then the community's alert opened for that tick: its frame has none of the 2 readings
        (opened,) = [a for a in mine(alerts, {community}) if a["status"] == "open"]
        assert (opened["alertType"], opened["since"]) == ("community.readings.mismatch", lost_tick)
        assert (opened["details"]["frameConsumptionWh"], opened["details"]["housesConsumptionWh"]) == (
            0.0,
            200.0,
        )
        # And it closed with the next frame, whose tallies agree
        (closed,) = [a for a in mine(alerts, {community}) if a["status"] == "closed"]
        assert closed["alertId"] == opened["alertId"] and closed["timestamp"] == later(lost_tick, 1)
        # And its houses were never alerted
        assert mine(alerts, {m.id for m in pair}) == []


class TestProducers:
    def test_a_utility_producer_sending_negative_production_is_alerted_until_it_sends_a_real_one(
        self, grid: LocalCloud, alerts: AlertLog
    ) -> None:
        # Given a utility producer
        producer = register_producer(grid, "Bugey")
        at = clock_now(grid)
        # When it posts a negative production
        refused = grid.request(
            "POST",
            f"/producers/{producer.id}/production",
            token=producer.token,
            json_body={"timestamp": at, "wh": -5},
        )
        grid.drain()
        alerts.collect(0)
        # Then it is refused naming the field, and technicians are alerted of the producer
        assert refused.status == 422 and refused.json()["fields"][0]["field"] == "body.wh"
        (opened,) = mine(alerts, {producer.id})
        assert (opened["alertType"], opened["subject"]["kind"], opened["status"]) == (
            "producer.production.negative",
            "producer",
            "open",
        )
        # When it posts a real production for the next tick
        body = {"timestamp": later(at, 1), "wh": 5}
        answer = grid.request(
            "POST", f"/producers/{producer.id}/production", token=producer.token, json_body=body
        )
        assert answer.status == 202, answer.body
        grid.drain()
        alerts.collect(0)
        # Then the alert closed
        assert [a["status"] for a in mine(alerts, {producer.id})] == ["open", "closed"]
