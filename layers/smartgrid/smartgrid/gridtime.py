"""Grid time: UTC instants on tick boundaries, and the keys stores derive from them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

MINUTES_PER_DAY = 24 * 60


def parse_instant(value: str) -> datetime:
    """An ISO 8601 instant; a naive one is taken as UTC."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def floor_to_tick(moment: datetime, tick_minutes: int) -> datetime:
    moment = moment.astimezone(UTC).replace(second=0, microsecond=0)
    return moment - timedelta(minutes=(moment.hour * 60 + moment.minute) % tick_minutes)


def day_of(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def slot_of(moment: datetime) -> str:
    """The time of day, `HH:MM`, that names a reading's slot inside its day."""
    return moment.astimezone(UTC).strftime("%H:%M")


def minutes_to_midnight(moment: datetime) -> int:
    moment = moment.astimezone(UTC)
    return MINUTES_PER_DAY - (moment.hour * 60 + moment.minute)


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
