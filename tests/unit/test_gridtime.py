"""Grid time: instants, ticks, days and slots (pure, UTC throughout)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from smartgrid.gridtime import (
    MINUTES_PER_DAY,
    day_of,
    days_between,
    floor_to_tick,
    iso,
    minutes_to_midnight,
    parse_instant,
    slot_of,
)

# --- parse_instant ---------------------------------------------------------------------------


def test_parse_instant_with_z_is_utc() -> None:
    # Given an instant written with 'Z' / When parsed / Then it is that UTC instant
    parsed = parse_instant("2024-03-01T10:07:30Z")
    assert parsed == datetime(2024, 3, 1, 10, 7, 30, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(0)


def test_parse_instant_with_offset_is_converted_to_utc() -> None:
    # Given an instant two hours ahead of UTC / When parsed / Then it is shown in UTC
    parsed = parse_instant("2024-03-01T10:00:00+02:00")
    assert parsed == datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    assert parsed.tzinfo is UTC


def test_parse_instant_with_negative_offset_changes_the_day() -> None:
    # Given 22:30 at UTC-05:00 / When parsed / Then it is 03:30 UTC the next day
    assert parse_instant("2024-03-01T22:30:00-05:00") == datetime(2024, 3, 2, 3, 30, tzinfo=UTC)


def test_parse_instant_naive_is_taken_as_utc() -> None:
    # Given an instant without a zone / When parsed / Then it is read as UTC, not local time
    parsed = parse_instant("2024-03-01T10:07:00")
    assert parsed == datetime(2024, 3, 1, 10, 7, tzinfo=UTC)
    assert parsed.tzinfo is UTC


def test_parse_instant_refuses_garbage() -> None:
    with pytest.raises(ValueError):
        parse_instant("yesterday at noon")


def test_iso_writes_utc_with_z() -> None:
    moment = datetime(2024, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert iso(moment) == "2024-03-01T10:00:00Z"


# --- floor_to_tick ---------------------------------------------------------------------------


def test_floor_to_one_minute_tick_drops_seconds() -> None:
    # Given 10:07:59.999 / When floored to 1 minute / Then 10:07:00
    moment = datetime(2024, 3, 1, 10, 7, 59, 999_999, tzinfo=UTC)
    assert floor_to_tick(moment, 1) == datetime(2024, 3, 1, 10, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("hour", "minute", "expected_minute"),
    [(10, 0, 0), (10, 7, 0), (10, 14, 0), (10, 15, 15), (10, 29, 15), (10, 44, 30), (10, 59, 45)],
)
def test_floor_to_fifteen_minute_tick(hour: int, minute: int, expected_minute: int) -> None:
    moment = datetime(2024, 3, 1, hour, minute, 42, tzinfo=UTC)
    assert floor_to_tick(moment, 15) == datetime(2024, 3, 1, hour, expected_minute, tzinfo=UTC)


def test_floor_on_a_tick_boundary_is_unchanged() -> None:
    on_tick = datetime(2024, 3, 1, 23, 45, tzinfo=UTC)
    assert floor_to_tick(on_tick, 15) == on_tick


def test_floor_to_tick_converts_to_utc_first() -> None:
    # Given 12:07 at +02:00 / When floored to 15 min / Then 10:00 UTC
    moment = datetime(2024, 3, 1, 12, 7, tzinfo=timezone(timedelta(hours=2)))
    floored = floor_to_tick(moment, 15)
    assert floored == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    assert floored.utcoffset() == timedelta(0)


# --- day_of, slot_of, minutes_to_midnight, days_between ---------------------------------------


def test_day_of_is_the_utc_day() -> None:
    # Given 00:30 on the 2nd at +01:00 (23:30 UTC on the 1st) / Then the day is the 1st
    moment = datetime(2024, 3, 2, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    assert day_of(moment) == "2024-03-01"


def test_slot_of_is_utc_hours_and_minutes() -> None:
    moment = datetime(2024, 3, 2, 0, 30, 59, tzinfo=timezone(timedelta(hours=1)))
    assert slot_of(moment) == "23:30"
    assert slot_of(datetime(2024, 3, 1, 7, 5, tzinfo=UTC)) == "07:05"


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [(0, 0, MINUTES_PER_DAY), (12, 0, 720), (23, 45, 15), (23, 59, 1)],
)
def test_minutes_to_midnight(hour: int, minute: int, expected: int) -> None:
    assert minutes_to_midnight(datetime(2024, 3, 1, hour, minute, tzinfo=UTC)) == expected


def test_minutes_to_midnight_counts_utc_midnight() -> None:
    # Given 01:00 at +02:00 (23:00 UTC) / Then 60 minutes remain before UTC midnight
    moment = datetime(2024, 3, 2, 1, 0, tzinfo=timezone(timedelta(hours=2)))
    assert minutes_to_midnight(moment) == 60


def test_days_between_includes_both_ends_across_a_leap_day() -> None:
    assert days_between(date(2024, 2, 28), date(2024, 3, 1)) == [
        date(2024, 2, 28),
        date(2024, 2, 29),
        date(2024, 3, 1),
    ]


def test_days_between_one_day_and_reversed() -> None:
    assert days_between(date(2024, 3, 1), date(2024, 3, 1)) == [date(2024, 3, 1)]
    assert days_between(date(2024, 3, 2), date(2024, 3, 1)) == []
