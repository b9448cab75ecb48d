"""clock: the grid's simulated time. Anyone reads it, staff fast-forward it, and the schedule
moves it one tick at a time."""

from __future__ import annotations

from datetime import datetime, timedelta

from localcloud import LocalCloud
from tests.conftest import CLOCK_START, sample_event
from tests.functions.support import api_event, call, new_house, table_items

FUNCTION = "ClockFunction"
DIR = "clock"


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def now(cloud: LocalCloud) -> str:
    answer = call(cloud, FUNCTION, api_event(DIR, "get_clock"))
    assert answer.status == 200, answer.body
    return str(answer.json()["now"])


def test_anyone_reads_the_clock(cloud: LocalCloud) -> None:
    # Given the grid clock, started at the configured instant
    # When anyone reads it, without a token
    answer = call(cloud, FUNCTION, api_event(DIR, "get_clock"))
    # Then it answers the simulated time, on a tick, and the tick's length
    assert answer.status == 200
    body = answer.json()
    assert body["tickMinutes"] == 1
    assert instant(body["now"]) >= instant(CLOCK_START)
    assert instant(body["now"]).second == 0


def test_staff_advance_the_clock_by_ticks(cloud: LocalCloud) -> None:
    # Given the clock at some time
    before = now(cloud)
    # When staff advance it by 60 ticks
    answer = call(cloud, FUNCTION, api_event(DIR, "post_advance_ticks"))
    # Then it moved by one hour, and says so
    assert answer.status == 200, answer.body
    expected = instant(before) + timedelta(minutes=60)
    assert answer.json() == {
        "previous": before,
        "now": expected.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ticks": 60,
        "tickMinutes": 1,
    }
    assert now(cloud) == answer.json()["now"]


def test_staff_advance_the_clock_until_an_instant(cloud: LocalCloud) -> None:
    # Given the clock before 2026-03-15
    before = now(cloud)
    assert instant(before) < instant("2026-03-15T00:00:00Z")
    # When staff advance it until 2026-03-15T00:00:00Z
    answer = call(cloud, FUNCTION, api_event(DIR, "post_advance_until"))
    # Then it is there, and the answer counts the ticks it moved
    assert answer.status == 200, answer.body
    body = answer.json()
    assert body["previous"] == before
    assert body["now"] == "2026-03-15T00:00:00Z" == now(cloud)
    assert body["ticks"] == (instant(body["now"]) - instant(before)) // timedelta(minutes=1)


def test_the_schedule_moves_the_clock_one_tick(cloud: LocalCloud) -> None:
    # Given the clock at some time
    before = now(cloud)
    # When the EventBridge schedule fires
    move = cloud.invoke("ClockTickFunction", sample_event(DIR, "tick"))
    # Then the clock moved by exactly one tick
    assert move["previous"] == before
    assert move["ticks"] == 1
    assert instant(move["now"]) - instant(before) == timedelta(minutes=1)
    assert now(cloud) == move["now"]


def test_each_move_announces_where_the_two_moves_before_it_ended(cloud: LocalCloud) -> None:
    # Given the clock at some time
    start = now(cloud)
    # When the schedule moves it, staff move it an hour, and the schedule moves it again
    first = cloud.invoke("ClockTickFunction", sample_event(DIR, "tick"))
    jump = call(cloud, FUNCTION, api_event(DIR, "post_advance_ticks")).json()
    last = cloud.invoke("ClockTickFunction", sample_event(DIR, "tick"))
    # Then the last move says where the clock stood after the two moves before it, the
    # latest first: the frames it closes depend on them (a jump's frames wait for the next move)
    assert last["earlierEnds"] == [jump["now"], first["now"]]
    assert first["earlierEnds"][0] == start


def test_refused_advances_leave_the_clock_alone(cloud: LocalCloud) -> None:
    # Given the clock, read once so that it exists
    now(cloud)
    before = table_items(cloud, "ClockTable")
    house = new_house(cloud)
    cases = [
        # (sample or adapted event, status, field named)
        (api_event(DIR, "post_advance_both"), 422, "body"),
        (api_event(DIR, "post_advance_until_past"), 422, "until"),
        (api_event(DIR, "post_advance_too_far"), 422, "ticks"),
        (api_event(DIR, "post_advance_ticks", body={"ticks": 0}), 422, "body.ticks"),
        (api_event(DIR, "post_advance_ticks", body={"ticks": 1, "speed": 2}), 422, "body.speed"),
        (api_event(DIR, "post_advance_until", body={"until": "2026-03-40T00:00:00Z"}), 422, "body.until"),
        (api_event(DIR, "post_advance_no_token"), 401, None),
        (api_event(DIR, "post_advance_ticks", token="not-a-token"), 401, None),
        (api_event(DIR, "post_advance_ticks", token=house.token), 403, None),
    ]
    for event, status, field in cases:
        # When the advance is refused
        answer = call(cloud, FUNCTION, event)
        # Then it is a JSON error of the expected status, naming the field
        assert answer.status == status, (event["body"], answer.body)
        assert "error" in answer.json()
        if field:
            assert field in answer.error_fields(), answer.body
    # And the clock did not move
    assert table_items(cloud, "ClockTable") == before
