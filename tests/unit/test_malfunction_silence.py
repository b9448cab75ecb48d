"""Silence is judged in clock moves: with the schedule's one-tick moves, a house that went quiet
at T is alerted on the move to T + N + 1; a jump is one move, whose readings have N moves to come."""

from __future__ import annotations

from itertools import pairwise

from smartgrid.malfunctions.kinds import AlertType
from smartgrid.malfunctions.silence import (
    MOVES_KEPT,
    community_silence,
    cutoff,
    house_silence,
    judged_cutoff,
    remembered,
)

N = 3


def at(minute: int) -> str:
    return f"2026-03-01T{minute // 60:02d}:{minute % 60:02d}:00Z"


def moves_until(minute: int) -> list[str]:
    """The ends of one-tick moves from 00:00 to `minute`."""
    ends: list[str] = []
    for m in range(1, minute + 1):
        ends = remembered(ends, at(m - 1), at(m))
    return ends


def test_with_one_tick_moves_the_cutoff_is_n_ticks_before_now() -> None:
    ends = moves_until(20)
    assert cutoff(ends, at(19), N, 1) == at(17)


def test_a_house_quiet_since_t_is_silent_on_the_move_to_t_plus_n_plus_1() -> None:
    # Given a house whose last reading covered up to 00:10 (its reading of 00:10 never came)
    for now in range(11, 16):
        ends = moves_until(now)
        observation = house_silence(at(10), cutoff(ends, at(now - 1), N, 1), at(now), 1)
        # Then it is silent from the move to 00:14 on (N + 1 ticks after 00:10), not before
        assert observation.faulty is (now >= 10 + N + 1), now
    silent = house_silence(at(10), cutoff(moves_until(14), at(13), N, 1), at(14), 1)
    assert silent.alert_type is AlertType.HOUSE_SILENT and silent.fault is not None
    assert (silent.fault.since, dict(silent.fault.details)) == (
        at(10),
        {"lastReadingEnd": at(10), "silentTicks": 4},
    )


def test_a_jump_is_one_move_whose_readings_have_n_moves_to_come() -> None:
    # Given one-tick moves to 00:10, then a jump of two days, then ticks
    ends = moves_until(10)
    jump_end = "2026-03-03T00:10:00Z"
    ends = remembered(ends, at(10), jump_end)
    # Then on the jump and the N - 1 ticks after, a house that covered up to 00:10 is not silent
    after = [jump_end]
    for n in range(1, N + 1):
        after.append(f"2026-03-03T00:{10 + n:02d}:00Z")
    assert house_silence(at(10), cutoff(ends, at(10), N, 1), jump_end, 1).faulty is False
    for previous, now in pairwise(after):
        ends = remembered(ends, previous, now)
        judged = house_silence(at(10), cutoff(ends, previous, N, 1), now, 1)
        # ... until the cutoff reaches the jump's end, N moves after it
        assert judged.faulty is (now == after[N]), now


def test_few_known_moves_are_completed_with_one_tick_moves_before_them() -> None:
    assert cutoff([at(5), at(6)], at(5), N, 1) == at(3)
    assert cutoff([], at(30), N, 15) == "2026-03-01T00:00:00Z"
    assert len(remembered([at(m) for m in range(100)], at(100), at(101))) == MOVES_KEPT


def test_most_houses_silent_is_a_community_silent_and_one_house_is_not() -> None:
    assert community_silence(2, 3, at(5)).faulty
    assert not community_silence(2, 4, at(5)).faulty  # half is not most
    assert not community_silence(1, 1, at(5)).faulty  # one house: its own alert says it
    fault = community_silence(3, 4, at(5)).fault
    assert fault is not None and dict(fault.details) == {"silentHouses": 3, "houses": 4}


def test_with_readings_waiting_the_cutoff_stops_at_the_latest_reading_heard() -> None:
    # Given a move's cutoff of 00:17 and readings heard from some house up to 00:10
    # Then with readings waiting in the queue the judgment stops at 00:10; without, it holds
    assert judged_cutoff(at(17), at(10), readings_waiting=True) == at(10)
    assert judged_cutoff(at(17), at(10), readings_waiting=False) == at(17)
    # And a detector heard past the cutoff, or that never heard anyone, judges by the cutoff
    assert judged_cutoff(at(17), at(18), readings_waiting=True) == at(17)
    assert judged_cutoff(at(17), None, readings_waiting=True) == at(17)
