"""Frames: readings split into ticks and placed, the frames a clock move closes, W from mWh."""

from __future__ import annotations

import random
from datetime import timedelta

from localcloud.cloud import ROOT
from localcloud.template import read_blueprint
from smartgrid.clock import EARLIER_ENDS_KEPT, ClockMove
from smartgrid.events import ClientConsumption, ProductionReading
from smartgrid.frames import UNASSIGNED, build_frame, frames_to_close, placed, portions, watts
from smartgrid.gridtime import iso, parse_instant
from smartgrid.stores.frames import CommunitySums, Span, TickAggregates

T = "2026-03-05T10:00:00Z"


def test_a_one_tick_reading_is_one_portion() -> None:
    assert portions(T, 1, 1, 8333) == [(T, 8333)]


def test_a_reading_over_several_ticks_is_spread_evenly_and_exactly() -> None:
    # Given an hour's reading of 600,001 mWh / When split into minutes
    split = portions(T, 60, 1, 600_001)
    # Then 60 parts, one per tick, the remainder on the first, summing to the reading
    assert len(split) == 60 and sum(m for _, m in split) == 600_001
    assert split[0] == (T, 10_001) and split[1] == ("2026-03-05T10:01:00Z", 10_000)
    assert split[-1][0] == "2026-03-05T10:59:00Z"


def test_with_longer_ticks_a_reading_splits_into_those_ticks() -> None:
    assert portions(T, 60, 15, 100) == [
        (T, 25),
        ("2026-03-05T10:15:00Z", 25),
        ("2026-03-05T10:30:00Z", 25),
        ("2026-03-05T10:45:00Z", 25),
    ]


def at(minute: int) -> str:
    """10:00 plus `minute` minutes on 2026-03-05 (a 1-minute tick)."""
    return iso(parse_instant(T) + timedelta(minutes=minute))


def moved(ends: list[int]) -> ClockMove:
    """The move to the last of `ends` (minutes after 10:00), the clock having ended its
    earlier moves at the others, oldest first."""
    earlier = [at(m) for m in reversed(ends[:-1])][:EARLIER_ENDS_KEPT]  # as the clock keeps them
    return ClockMove(
        previous=earlier[0], now=at(ends[-1]), ticks=ends[-1] - ends[-2], tickMinutes=1, earlierEnds=earlier
    )


def test_one_tick_of_the_clock_closes_the_frame_k_ticks_before() -> None:
    assert frames_to_close(moved([1, 2, 3, 4, 5, 6]), 5) == [at(1)]


def test_a_clock_that_kept_no_earlier_ends_closes_one_tick_moves_the_same() -> None:
    legacy = ClockMove(previous=at(5), now=at(6), ticks=1, tickMinutes=1)
    assert frames_to_close(legacy, 5) == [at(1)]


def test_the_frames_of_a_move_of_many_ticks_close_on_the_next_move() -> None:
    # Given the clock moved a tick at a time to 10:05
    history = [1, 2, 3, 4, 5]
    # When staff move it to 11:00 at once (its ticks' readings are posted after that move)
    jump = frames_to_close(moved([*history, 60]), 5)
    # Then that move closes only the frames of ticks ended before it (10:01 to 10:04)
    assert jump == [at(1), at(2), at(3), at(4)]
    # And the next move closes the jump's, up to k ticks before it
    assert frames_to_close(moved([*history, 60, 61]), 5) == [at(m) for m in range(5, 57)]


def test_any_sequence_of_moves_closes_every_frame_once_and_in_order() -> None:
    # Given moves of 1 to 9 ticks (a seeded sequence), each closing what it may
    rng = random.Random(7)
    history, closed = [0], []
    for _ in range(300):
        history.append(history[-1] + rng.randint(1, 9))
        closed += frames_to_close(moved(history[-3:]), 5)
        # Then no frame closes within k ticks of now, nor on the move that ended its tick
        assert parse_instant(closed[-1]) <= parse_instant(at(min(history[-1] - 5, history[-2] - 1)))
    # And every frame up to the last one closes exactly once, oldest first
    first = (parse_instant(closed[0]) - parse_instant(T)) // timedelta(minutes=1)
    assert closed == [at(m) for m in range(first, first + len(closed))]
    assert len(closed) > 1000


def test_a_long_jump_closes_only_the_last_sixty_frames() -> None:
    # Given a jump of three days after a tick at a time
    jump = 3 * 24 * 60
    history = [1, 2, 3, 4, 5, jump]
    # When the move after it lists the frames to close
    closed = frames_to_close(moved([*history, jump + 1]), 5)
    # Then the 60 most recent, ending k ticks before the new time
    assert len(closed) == 60
    assert closed[0] == at(jump - 63) and closed[-1] == at(jump - 4)


def test_no_move_closes_nothing() -> None:
    assert frames_to_close(ClockMove(previous=T, now=T, ticks=0, tickMinutes=1, earlierEnds=[T]), 5) == []


def test_watts_are_the_mean_power_over_the_frame() -> None:
    assert watts(100_000, 1) == 6000.0  # 100 Wh in a minute
    assert watts(16_667, 1) == 1000.02
    assert watts(600_000, 60) == 600.0
    assert watts(-30_000, 1) == -1800.0


def test_readings_are_placed_in_their_community_or_under_their_producer() -> None:
    # Given consumption with and without a community, house and utility production
    readings: list[ClientConsumption | ProductionReading] = [
        ClientConsumption(houseId="h-a", communityId="c-1", timestamp=T, mwh=5),
        ClientConsumption(houseId="h-b", timestamp=T, mwh=7),
        ClientConsumption(houseId="h-c", timestamp=T, mwh=9),
        ProductionReading(producerId="p-h-a", kind="house", houseId="h-a", timestamp=T, mwh=3),
        ProductionReading(producerId="p-1", kind="utility", timestamp=T, mwh=11),
    ]
    asked: list[list[str]] = []

    def lookup(houses: list[str]) -> dict[str, str | None]:
        asked.append(houses)
        return {"h-a": "c-1", "h-b": "c-2", "h-c": None}

    # When they are placed
    parts, spans = placed(readings, 1, lookup)
    made = {(p.source, p.measure, p.owner, p.mwh) for p in parts}
    # Then the client database was asked once, for the houses whose community was missing
    assert asked == [["h-a", "h-b", "h-c"]]
    assert spans == []
    assert made == {
        ("c#h-a", "consumption", "c-1", 5),
        ("c#h-b", "consumption", "c-2", 7),
        ("c#h-c", "consumption", UNASSIGNED, 9),  # still registering
        ("p#p-h-a", "houseProduction", "c-1", 3),
        ("p#p-1", "utilityProduction", "p-1", 11),
    }


def test_a_reading_over_several_ticks_is_one_span_shared_by_its_ticks() -> None:
    # Given a house's reading of 10 mWh over three minutes
    reading = ClientConsumption(houseId="h-a", communityId="c-1", timestamp=T, durationMinutes=3, mwh=10)
    # When it is placed
    parts, spans = placed([reading], 1, lambda houses: {})
    # Then it is one span, whose ticks share it exactly, and nothing outside them
    assert parts == [] and spans == [Span("c#h-a", T, 3, 1, 10, "consumption", "c-1")]
    (span,) = spans
    minutes = [
        span.mwh_at(parse_instant(f"2026-03-05T{m}:00Z"))
        for m in ("09:59", "10:00", "10:01", "10:02", "10:03")
    ]
    assert minutes == [0, 4, 3, 3, 0]


def test_a_frame_sums_its_communities_and_producers() -> None:
    aggregates = TickAggregates(
        communities={"c-2": CommunitySums(700, 0), "c-1": CommunitySums(500, 300)},
        producers={"p-2": 100, "p-1": 1000},
    )
    frame = build_frame(T, 1, aggregates)
    assert list(frame.communities) == ["c-1", "c-2"] and list(frame.producers) == ["p-1", "p-2"]
    assert frame.communities["c-1"].productionMwh == 300
    assert frame.grid.model_dump() == {
        "consumptionMwh": 1200,
        "productionMwh": 1400,
        "houseProductionMwh": 300,
        "utilityProductionMwh": 1100,
    }


def test_a_frame_delay_under_two_ticks_would_close_each_frame_before_its_readings_come() -> None:
    # Given a tick's readings, posted after the move that ends it (the move to 10:01 for 10:00)
    # When frames close one tick late, the move to 10:01 already closes the frame of 10:00
    # were it not that a frame never closes on the move that ended its tick
    assert frames_to_close(moved([-1, 0, 1]), 1) == [at(-1)]
    # Then the template asks for 2 ticks anyway (the frame of 10:00 closes on the move to 10:02)
    assert frames_to_close(moved([0, 1, 2]), 2) == [at(0)]
    template = read_blueprint(ROOT / "template.yaml")
    assert template.parameters["FrameDelayTicks"]["MinValue"] == 2
