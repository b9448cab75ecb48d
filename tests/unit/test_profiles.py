"""Daily profiles of the simulated houses: pure functions of the instant and the place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smartgrid.simulation.profiles import (
    Profile,
    bump,
    evening_factor,
    factor,
    household_factor,
    local_hour,
    morning_factor,
    solar_declination_deg,
    solar_elevation_deg,
    solar_factor,
)

LYON = (45.76, 4.84)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def hours() -> list[float]:
    return [h / 4 for h in range(96)]


def test_local_hour_follows_the_longitude() -> None:
    # Given noon UTC / Then it is later east of Greenwich and earlier west of it
    noon = at("2026-03-01T12:00:00")
    assert local_hour(noon, 0) == 12
    assert local_hour(noon, 15) == 13
    assert local_hour(noon, -45) == 9
    assert local_hour(at("2026-03-01T23:30:00"), 15) == pytest.approx(0.5)


def test_a_bump_wraps_round_midnight() -> None:
    assert bump(23.5, 0.5, 1.0) == pytest.approx(bump(1.5, 0.5, 1.0))
    assert bump(7.5, 7.5, 1.0) == 1.0


def test_household_profile_has_a_night_base_and_morning_and_evening_peaks() -> None:
    # Given the household profile over a day
    values = {h: household_factor(h) for h in hours()}
    night = household_factor(3.0)
    morning = max(values[h] for h in hours() if 6 <= h <= 9)
    afternoon = household_factor(15.5)
    evening = max(values[h] for h in hours() if 18 <= h <= 21)
    # Then the night is the base, both peaks stand over it, and the evening peak is the day's highest
    assert 0.2 <= night <= 0.4
    assert morning > afternoon > night
    assert evening == max(values.values()) and evening > morning
    assert all(0 < v <= 1 for v in values.values())


def test_morning_and_evening_profiles_peak_when_named() -> None:
    assert max(hours(), key=morning_factor) == pytest.approx(7.25)
    assert max(hours(), key=evening_factor) == pytest.approx(19.5)
    assert morning_factor(15) < 0.05 and evening_factor(4) < 0.1


def test_declination_swings_between_the_solstices() -> None:
    assert solar_declination_deg(at("2026-06-21T12:00:00")) == pytest.approx(23.44, abs=0.3)
    assert solar_declination_deg(at("2026-12-21T12:00:00")) == pytest.approx(-23.44, abs=0.3)
    assert abs(solar_declination_deg(at("2026-03-20T12:00:00"))) < 1.5


def test_the_sun_culminates_at_local_noon_at_ninety_minus_latitude_at_the_equinox() -> None:
    # Given Lyon at the March equinox / When its local noon comes (12:00 - 4.84°/15 h UTC)
    noon_utc = at("2026-03-20T12:00:00") - timedelta(hours=LYON[1] / 15)
    # Then the sun stands at about 90° - 45.76°, and lower an hour either side
    assert solar_elevation_deg(noon_utc, *LYON) == pytest.approx(90 - LYON[0], abs=1.5)
    for offset in (-1, 1):
        assert solar_elevation_deg(noon_utc + timedelta(hours=offset), *LYON) < solar_elevation_deg(
            noon_utc, *LYON
        )


def test_solar_panels_produce_by_day_only_and_more_in_summer() -> None:
    # Given panels in Lyon
    night = solar_factor(at("2026-06-21T00:00:00"), *LYON)
    summer_noon = solar_factor(at("2026-06-21T11:40:00"), *LYON)
    winter_noon = solar_factor(at("2026-12-21T11:40:00"), *LYON)
    # Then nothing at night, most at a summer noon, less in winter
    assert night == 0.0
    assert 0.9 < summer_noon <= 1.0
    assert 0.2 < winter_noon < summer_noon


def test_a_summer_day_of_sun_lasts_about_fifteen_hours_in_lyon() -> None:
    day = at("2026-06-21T00:00:00")
    lit = sum(1 for m in range(0, 1440, 5) if solar_factor(day + timedelta(minutes=m), *LYON) > 0)
    assert 14.5 <= lit * 5 / 60 <= 16.5


def test_factor_dispatches_on_the_profile() -> None:
    moment = at("2026-03-01T07:00:00")
    assert factor(Profile.FLAT, moment, *LYON) == 1.0
    assert factor(Profile.HOUSEHOLD, moment, *LYON) == household_factor(local_hour(moment, LYON[1]))
    assert factor(Profile.MORNING, moment, *LYON) == morning_factor(local_hour(moment, LYON[1]))
    assert factor(Profile.EVENING, moment, *LYON) == evening_factor(local_hour(moment, LYON[1]))
    assert factor(Profile.SOLAR, moment, *LYON) == solar_factor(moment, *LYON)
