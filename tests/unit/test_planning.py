"""Placing a schedulable object's energy: earliest first, around sheddings, exact to the mWh."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

from smartgrid.planning import Slot, Window, energy_between, merged, place, power_at, replan, seconds_for


def at(hhmm: str) -> datetime:
    return datetime.fromisoformat(f"2026-03-01T{hhmm}:00").replace(tzinfo=UTC)


def test_seconds_for_rounds_up_to_hold_the_energy() -> None:
    # 100 Wh at 2,000 W is exactly 180 s; one mWh more needs a second more
    assert seconds_for(100_000, 2000) == 180
    assert seconds_for(100_001, 2000) == 181
    assert seconds_for(0, 2000) == 0


def test_place_fills_from_the_start_at_full_power() -> None:
    slots = place(2_000_000, 1000, at("22:00"), [])
    assert slots == [Slot(at("22:00"), at("00:00").replace(day=2), 1000)]
    assert energy_between(slots, at("22:00"), at("23:00")) == 1_000_000


def test_place_goes_around_blocked_windows() -> None:
    # Given 3 h of charge from 18:00 and a shedding 19:00-20:30
    slots = place(3_000_000, 1000, at("18:00"), [Window(at("19:00"), at("20:30"))])
    # Then it draws 18:00-19:00, then 20:30-22:30
    assert slots == [Slot(at("18:00"), at("19:00"), 1000), Slot(at("20:30"), at("22:30"), 1000)]
    assert sum(s.energy() for s in slots) == 3_000_000


def test_place_skips_windows_before_the_start_and_joins_touching_ones() -> None:
    windows = [
        Window(at("10:00"), at("11:00")),
        Window(at("12:00"), at("12:30")),
        Window(at("12:30"), at("13:00")),
    ]
    assert merged(windows) == [Window(at("10:00"), at("11:00")), Window(at("12:00"), at("13:00"))]
    slots = place(1_500_000, 1000, at("11:30"), windows)
    assert slots == [Slot(at("11:30"), at("12:00"), 1000), Slot(at("13:00"), at("14:00"), 1000)]


def test_replan_keeps_what_ran_and_moves_the_rest_after_the_shedding() -> None:
    # Given a plan 18:00-21:00 at 2 kW, and a shedding from 19:00 (now) to 20:00
    plan = [Slot(at("18:00"), at("21:00"), 2000)]
    moved = replan(plan, 6_000_000, 2000, at("18:00"), at("19:00"), [Window(at("19:00"), at("20:00"))])
    # Then 18:00-19:00 stays, the two hours left run 20:00-22:00
    assert moved == [Slot(at("18:00"), at("19:00"), 2000), Slot(at("20:00"), at("22:00"), 2000)]
    assert power_at(moved, at("19:30")) == 0
    assert power_at(moved, at("20:00")) == 2000


def test_replan_is_idempotent() -> None:
    plan = [Slot(at("18:00"), at("21:00"), 2000)]
    blocked = [Window(at("19:00"), at("20:00"))]
    once = replan(plan, 6_000_000, 2000, at("18:00"), at("19:00"), blocked)
    assert replan(once, 6_000_000, 2000, at("18:00"), at("19:00"), blocked) == once


def test_energy_between_is_exact() -> None:
    slots = [Slot(at("10:00"), at("10:01"), 2000)]
    assert energy_between(slots, at("09:00"), at("11:00")) == Fraction(100_000, 3)
