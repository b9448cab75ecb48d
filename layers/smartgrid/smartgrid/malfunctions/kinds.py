"""What can go wrong, with whom, and how a technician is told."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from smartgrid.events import AlertDetail, AlertSubject


class AlertType(StrEnum):
    HOUSE_SILENT = "house.silent"
    CONSUMPTION_NEGATIVE = "house.consumption.negative"
    CONSUMPTION_EXCESSIVE = "house.consumption.excessive"
    PRODUCTION_NEGATIVE = "house.production.negative"
    PRODUCTION_AT_NIGHT = "house.production.night"
    BATTERY_IMPOSSIBLE = "house.battery.impossible"
    PRODUCER_NEGATIVE = "producer.production.negative"
    COMMUNITY_SILENT = "community.silent"
    COMMUNITY_MISMATCH = "community.readings.mismatch"


_WHAT = {
    AlertType.HOUSE_SILENT: "has sent no reading",
    AlertType.CONSUMPTION_NEGATIVE: "sent a negative consumption",
    AlertType.CONSUMPTION_EXCESSIVE: "reports a consumption beyond what a house connection can draw",
    AlertType.PRODUCTION_NEGATIVE: "sent a negative production",
    AlertType.PRODUCTION_AT_NIGHT: "reports production at night",
    AlertType.BATTERY_IMPOSSIBLE: "sent a battery state that breaks physics",
    AlertType.PRODUCER_NEGATIVE: "sent a negative production",
    AlertType.COMMUNITY_SILENT: "has most of its houses silent",
    AlertType.COMMUNITY_MISMATCH: "has readings that do not add up",
}


def subject_key(subject: AlertSubject) -> str:
    """The subject's partition in the detector's store: `HOUSE#h-…`, `COMMUNITY#c-…`."""
    return f"{subject.kind.upper()}#{subject.id}"


def describe(
    alert_type: AlertType, subject: AlertSubject, since: str, details: Mapping[str, AlertDetail]
) -> str:
    """One line for a technician: who, what, since when, and the figures behind it."""
    figures = ", ".join(f"{name} {value}" for name, value in sorted(details.items()))
    line = f"{subject.kind} {subject.id} {_WHAT[alert_type]} since {since}"
    return f"{line} ({figures})" if figures else line
