"""The grid clock: where it starts, and how it may move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smartgrid.clock import MAX_ADVANCE_DAYS, advanced, start_instant
from smartgrid.errors import Unprocessable

NOW = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)


# --- start_instant ---------------------------------------------------------------------------


def test_start_instant_uses_the_configured_instant_on_a_tick() -> None:
    # Given a configured start off a tick / When started with 15-minute ticks / Then floored
    real_now = datetime(2030, 1, 1, tzinfo=UTC)
    start = start_instant("2024-03-01T10:07:42Z", real_now, 15)
    assert start == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)


def test_start_instant_configured_with_offset_is_utc() -> None:
    start = start_instant("2024-03-01T10:07:00+01:00", datetime(2030, 1, 1, tzinfo=UTC), 1)
    assert start == datetime(2024, 3, 1, 9, 7, tzinfo=UTC)


def test_start_instant_without_configuration_uses_real_time_on_a_tick() -> None:
    # Given no configured start / Then the real time, floored to the tick
    real_now = datetime(2024, 3, 1, 10, 29, 59, tzinfo=UTC)
    assert start_instant("", real_now, 15) == datetime(2024, 3, 1, 10, 15, tzinfo=UTC)
    assert start_instant("", real_now, 1) == datetime(2024, 3, 1, 10, 29, tzinfo=UTC)


# --- advanced --------------------------------------------------------------------------------


def test_advanced_by_ticks() -> None:
    # Given 10:00 and 15-minute ticks / When advanced 3 ticks / Then 10:45
    assert advanced(NOW, 15, ticks=3) == datetime(2024, 3, 1, 10, 45, tzinfo=UTC)
    assert advanced(NOW, 1, ticks=1) == datetime(2024, 3, 1, 10, 1, tzinfo=UTC)


def test_advanced_until_is_floored_to_a_tick() -> None:
    # When advanced until 11:07:59 with 15-minute ticks / Then the clock stops at 11:00
    assert advanced(NOW, 15, until="2024-03-01T11:07:59Z") == datetime(2024, 3, 1, 11, 0, tzinfo=UTC)


def test_advanced_until_with_offset_and_naive() -> None:
    assert advanced(NOW, 1, until="2024-03-01T12:30:00+02:00") == datetime(2024, 3, 1, 10, 30, tzinfo=UTC)
    assert advanced(NOW, 1, until="2024-03-01T10:30:00") == datetime(2024, 3, 1, 10, 30, tzinfo=UTC)


def test_advanced_until_inside_the_current_tick_stays_put() -> None:
    # Given until inside the tick that holds now / Then the target is now (not refused)
    assert advanced(NOW, 15, until="2024-03-01T10:14:00Z") == NOW


def test_advanced_exactly_the_maximum_is_allowed() -> None:
    target = advanced(NOW, 1, ticks=MAX_ADVANCE_DAYS * 24 * 60)
    assert target - NOW == timedelta(days=MAX_ADVANCE_DAYS)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"ticks": 1, "until": "2024-03-01T11:00:00Z"}],
    ids=["neither", "both"],
)
def test_advanced_refuses_neither_or_both(kwargs: dict[str, object]) -> None:
    with pytest.raises(Unprocessable) as caught:
        advanced(NOW, 1, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == "body"
    assert caught.value.status == 422


def test_advanced_refuses_until_in_the_past() -> None:
    # Given until before the clock's time / Then refused on the field 'until'
    with pytest.raises(Unprocessable) as caught:
        advanced(NOW, 1, until="2024-03-01T09:59:00Z")
    assert caught.value.field == "until"
    assert "2024-03-01T10:00:00Z" in caught.value.message


def test_advanced_refuses_more_than_the_maximum_in_ticks() -> None:
    with pytest.raises(Unprocessable) as caught:
        advanced(NOW, 1, ticks=MAX_ADVANCE_DAYS * 24 * 60 + 1)
    assert caught.value.field == "ticks"


def test_advanced_refuses_more_than_the_maximum_with_until() -> None:
    too_far = NOW + timedelta(days=MAX_ADVANCE_DAYS, minutes=15)
    with pytest.raises(Unprocessable) as caught:
        advanced(NOW, 15, until=too_far.isoformat())
    assert caught.value.field == "until"
