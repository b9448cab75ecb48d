"""Daily profiles: how an object's power varies over the day, as a factor of its rated power.

Pure functions of the instant (UTC) and the place. Local time is the mean solar time of the
longitude (UTC + lon/15 h): close enough for a demo grid, and the same everywhere on Earth.
The household shapes are sums of bumps: a base load at night, a morning peak around 07:30,
a smaller one at lunch, and the evening peak around 19:30. Solar panels follow the sine of
the sun's elevation (clear sky), from the declination of the day and the hour angle.
"""

from __future__ import annotations

import math
from datetime import datetime
from enum import StrEnum


class Profile(StrEnum):
    FLAT = "flat"  # always the rated power (a fridge, standby, a DIY reactor)
    HOUSEHOLD = "household"  # night base, morning and evening peaks (appliances, heating)
    MORNING = "morning"  # mostly around 07:30 (hot water, coffee)
    EVENING = "evening"  # mostly around 19:30 (lighting, cooking)
    SOLAR = "solar"  # by day, following the sun's elevation (solar panels)


OBLIQUITY_DEG = 23.44


def local_hour(moment: datetime, lon: float) -> float:
    """Mean solar time at the longitude, in hours [0, 24)."""
    utc = moment.hour + moment.minute / 60 + moment.second / 3600
    return (utc + lon / 15) % 24


def bump(hour: float, center: float, width: float) -> float:
    """A bell around `center` (hours, wrapping round midnight), 1 at its top."""
    distance = abs(hour - center) % 24
    distance = min(distance, 24 - distance)
    return math.exp(-0.5 * (distance / width) ** 2)


def household_factor(hour: float) -> float:
    value = 0.3 + 0.45 * bump(hour, 7.5, 1.0) + 0.15 * bump(hour, 12.5, 1.5) + 0.7 * bump(hour, 19.5, 1.5)
    return min(1.0, value)


def morning_factor(hour: float) -> float:
    return 0.02 + 0.98 * bump(hour, 7.25, 0.75)


def evening_factor(hour: float) -> float:
    return 0.05 + 0.95 * bump(hour, 19.5, 1.5)


def solar_declination_deg(moment: datetime) -> float:
    """The sun's declination on that day (about -23.4° at the December solstice)."""
    day = moment.timetuple().tm_yday - 1
    return -OBLIQUITY_DEG * math.cos(2 * math.pi * (day + 10) / 365)


def solar_elevation_deg(moment: datetime, lat: float, lon: float) -> float:
    """The sun's elevation above the horizon (degrees; negative at night)."""
    declination = math.radians(solar_declination_deg(moment))
    hour_angle = math.radians(15 * (local_hour(moment, lon) - 12))
    latitude = math.radians(lat)
    sine = math.sin(latitude) * math.sin(declination) + math.cos(latitude) * math.cos(declination) * math.cos(
        hour_angle
    )
    return math.degrees(math.asin(max(-1.0, min(1.0, sine))))


def solar_factor(moment: datetime, lat: float, lon: float) -> float:
    """A clear-sky panel's output as a share of its peak: the sine of the sun's elevation."""
    return max(0.0, math.sin(math.radians(solar_elevation_deg(moment, lat, lon))))


def factor(profile: Profile, moment: datetime, lat: float, lon: float) -> float:
    """The share of its rated power an object of this profile draws (or makes) at `moment`."""
    if profile is Profile.FLAT:
        return 1.0
    if profile is Profile.SOLAR:
        return solar_factor(moment, lat, lon)
    hour = local_hour(moment, lon)
    if profile is Profile.HOUSEHOLD:
        return household_factor(hour)
    if profile is Profile.MORNING:
        return morning_factor(hour)
    return evening_factor(hour)
