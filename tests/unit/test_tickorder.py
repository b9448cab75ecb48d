"""Ticks judged in order: from the cursor, only ticks whose event is in, none before the
ticks before it; a tick missing for a whole window is given up, and a jump passed over."""

from __future__ import annotations

from datetime import datetime, timedelta

from smartgrid.gridtime import parse_instant
from smartgrid.tickorder import plan_run

T0 = parse_instant("2026-03-05T10:00:00Z")
LOST_AFTER = 60


def minute(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def test_known_ticks_after_the_cursor_are_judged_in_order() -> None:
    run = plan_run(minute(0), minute(3), {minute(3), minute(1), minute(2)}, 1, LOST_AFTER)
    assert (run.ticks, run.through, run.moves) == ([minute(1), minute(2), minute(3)], minute(3), True)


def test_a_tick_that_arrives_before_an_earlier_one_waits_for_it() -> None:
    # Given the cursor at 10:00, and 10:02 in while 10:01 is not yet
    run = plan_run(minute(0), minute(2), {minute(2)}, 1, LOST_AFTER)
    # Then nothing is judged: 10:02 waits for 10:01
    assert (run.ticks, run.moves) == ([], False)
    # And once 10:01 arrives, both are judged, in order
    assert plan_run(minute(0), minute(2), {minute(1), minute(2)}, 1, LOST_AFTER).ticks == [
        minute(1),
        minute(2),
    ]


def test_a_tick_missing_while_one_a_window_later_is_known_is_given_up() -> None:
    # Given 10:01 never arrives, and ticks 10:02..11:01 are in
    known = {minute(n) for n in range(2, 62)}
    run = plan_run(minute(0), minute(61), known, 1, LOST_AFTER)
    # Then 10:01 is passed over and the others judged
    assert run.ticks == [minute(n) for n in range(2, 62)] and run.through == minute(61)


def test_a_clock_jump_is_passed_over_to_the_ticks_after_it() -> None:
    # Given the cursor at 10:00 and, three days later, the jump's last hour in (as closed)
    late = minute(3 * 24 * 60)
    known = {late - timedelta(minutes=n) for n in range(LOST_AFTER)}
    run = plan_run(minute(0), late, known, 1, LOST_AFTER)
    # Then the hole is passed over and that hour judged
    assert run.ticks == sorted(known) and run.through == late


def test_a_jump_whose_first_ticks_are_not_in_yet_waits_within_the_window() -> None:
    # Given a jump of a day whose last 60 ticks are being delivered: only the last 30 in yet
    late = minute(24 * 60)
    known = {late - timedelta(minutes=n) for n in range(30)}
    run = plan_run(minute(0), late, known, 1, LOST_AFTER)
    # Then the cursor moves to the first tick still within patience, and waits for it
    assert run.ticks == [] and run.through == late - timedelta(minutes=LOST_AFTER)
