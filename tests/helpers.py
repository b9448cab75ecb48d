"""What tests do often: register a house or a producer through the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from localcloud import LocalCloud
from tests.conftest import STAFF_TOKEN


@dataclass(frozen=True)
class Registered:
    id: str
    token: str


def register_house(
    cloud: LocalCloud,
    name: str = "Pierre & Marie",
    lat: float = 48.85,
    lon: float = 2.35,
    policies: list[str] | None = None,
) -> Registered:
    answer = cloud.request(
        "POST",
        "/houses",
        json_body={"name": name, "location": {"lat": lat, "lon": lon}, "acceptedPolicies": policies or []},
    )
    assert answer.status == 201, answer.body
    return Registered(answer.json()["houseId"], answer.json()["token"])


def register_producer(cloud: LocalCloud, name: str = "Nikola", limit_w: float = 10_000) -> Registered:
    answer = cloud.request("POST", "/producers", json_body={"name": name, "productionLimitW": limit_w})
    assert answer.status == 201, answer.body
    return Registered(answer.json()["producerId"], answer.json()["token"])


def staff(cloud: LocalCloud, method: str, path: str, body: Any = None, status: int = 200) -> Any:
    """A staff call through the gateway that must answer `status`; its JSON."""
    answer = cloud.request(method, path, token=STAFF_TOKEN, json_body=body)
    assert answer.status == status, answer.body
    return answer.json()
