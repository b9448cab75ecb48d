"""Meters a test drives itself, as the meter head-end: houses registered through the API whose
readings the test posts tick by tick (`POST /readings`, `POST /batteries/states`), healthy or
with a fault injected, and what the grid's alerts said of them tick by tick."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from localcloud import LocalCloud
from smartgrid.gridtime import iso, parse_instant
from tests.functions.support import TopicProbe
from tests.helpers import Registered, register_house, staff


@dataclass
class Meter:
    """A registered house whose meter the test plays: `consumption_wh` every tick, its
    production (if it produces) and its battery's state (if it has one)."""

    house: Registered
    consumption_wh: float = 100.0
    producer_id: str | None = None
    battery_id: str | None = None
    stored_wh: float = 0.0

    @property
    def id(self) -> str:
        return self.house.id


def meter(cloud: LocalCloud, name: str, lat: float, lon: float, consumption_wh: float = 100.0) -> Meter:
    return Meter(register_house(cloud, name, lat, lon), consumption_wh)


def make_producer(cloud: LocalCloud, target: Meter) -> None:
    answer = cloud.request("POST", f"/houses/{target.id}/producer", token=target.house.token)
    assert answer.status == 201, answer.body
    target.producer_id = str(answer.json()["producerId"])


def fit_battery(cloud: LocalCloud, target: Meter, capacity_wh: float, rate_w: float) -> None:
    body = {"capacityWh": capacity_wh, "maxChargeW": rate_w, "maxDischargeW": rate_w}
    answer = cloud.request("POST", f"/houses/{target.id}/battery", token=target.house.token, json_body=body)
    assert answer.status == 201, answer.body
    target.battery_id = str(answer.json()["batteryId"])


def consumption(target: Meter, at: str, minutes: int, wh: float | None = None) -> dict[str, Any]:
    wh = target.consumption_wh if wh is None else wh
    return {"houseId": target.id, "timestamp": at, "durationMinutes": minutes, "objects": {"fridge": wh}}


def production(target: Meter, at: str, minutes: int, wh: float) -> dict[str, Any]:
    assert target.producer_id is not None
    return {"producerId": target.producer_id, "timestamp": at, "durationMinutes": minutes, "wh": wh}


def post_readings(
    cloud: LocalCloud, consumed: Iterable[dict[str, Any]], produced: Iterable[dict[str, Any]] = ()
) -> dict[str, Any]:
    body = {"consumption": list(consumed), "production": list(produced)}
    answer: dict[str, Any] = staff(cloud, "POST", "/readings", body, 202)
    return answer


def post_battery_state(cloud: LocalCloud, target: Meter, at: str, stored_wh: float) -> dict[str, Any]:
    """Posts a state; the meter keeps it as its battery's when the grid accepts it."""
    assert target.battery_id is not None
    body = {"states": [{"batteryId": target.battery_id, "timestamp": at, "storedWh": stored_wh}]}
    answer: dict[str, Any] = staff(cloud, "POST", "/batteries/states", body, 202)
    if answer["results"][0]["status"] == "accepted":
        target.stored_wh = stored_wh
    return answer


def clock_now(cloud: LocalCloud) -> str:
    return str(staff(cloud, "GET", "/clock")["now"])


def later(instant: str, minutes: int) -> str:
    return iso(parse_instant(instant) + timedelta(minutes=minutes))


@dataclass
class AlertLog:
    """Every alert published on the bus, with the index of the tick it was seen after."""

    probe: TopicProbe
    seen: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def collect(self, tick: int) -> list[dict[str, Any]]:
        fresh = self.probe.events()
        self.seen.extend((tick, alert) for alert in fresh)
        return fresh

    def malfunctions(self) -> list[tuple[int, dict[str, Any]]]:
        """The malfunction alerts (a grid-wide warning, producers at their limit, left out)."""
        return [(t, a) for t, a in self.seen if a["subject"]["kind"] in ("house", "community", "producer")]

    def first(self, subject_id: str, alert_type: str, status: str) -> int | None:
        """The tick after which the first alert of that subject, type and status was published."""
        return next(
            (
                t
                for t, a in self.seen
                if a["subject"]["id"] == subject_id and a["alertType"] == alert_type and a["status"] == status
            ),
            None,
        )

    def subjects(self) -> set[str]:
        return {a["subject"]["id"] for _, a in self.malfunctions()}
