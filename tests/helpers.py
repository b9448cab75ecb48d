"""What tests do often: register a house or a producer through the API."""

from __future__ import annotations

from dataclasses import dataclass

from localcloud import LocalCloud


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
