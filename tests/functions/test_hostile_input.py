"""Hostile input over HTTP (issue 9, part 3): each is refused with a JSON 4xx naming the
field, and nothing is stored. Readings are checked against the template's own window (a
day ahead of the grid clock at most), so this module has a grid of its own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud import LocalCloud
from smartgrid.api import MAX_BODY_BYTES
from smartgrid.readings import MAX_BATCH
from tests.conftest import item_count, start_cloud
from tests.helpers import Registered, register_house, register_producer, staff

CLOCK = "2026-03-01T00:00:00Z"  # the tests' clock start: the grid clock here, never moved
TOMORROW_NOON = "2026-03-02T12:00:00Z"  # 36 h ahead: beyond the template's 24 h


@pytest.fixture(scope="module")
def grid() -> Iterator[LocalCloud]:
    cloud = start_cloud(ReadingsFutureToleranceMinutes="1440")  # the template's default
    yield cloud
    cloud.stop()


@pytest.fixture(scope="module")
def house(grid: LocalCloud) -> Registered:
    return register_house(grid, "Hostile test house")


def refused_fields(answer: Any, status: int) -> list[str]:
    """The fields a refusal names, after checking it is the expected JSON 4xx."""
    assert answer.status == status, answer.body
    assert answer.headers["Content-Type"].startswith("application/json")
    body = answer.json()
    assert body["error"] and body["message"]
    return [f["field"] for f in body.get("fields", [])]


def raw_post(grid: LocalCloud, path: str, text: str, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    return grid.request("POST", path, body=text.encode(), token=token, headers=headers)


# Non-finite numbers, unknown fields, size ------------------------------------------------
@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_non_finite_number_is_refused_and_nothing_stored(grid: LocalCloud, number: str) -> None:
    # Given the houses stored so far
    before = item_count(grid, "ClientsTable")
    # When a house registers at latitude NaN (Python's json would read it)
    text = f'{{"name": "N", "location": {{"lat": {number}, "lon": 2.35}}, "acceptedPolicies": []}}'
    answer = raw_post(grid, "/houses", text)
    # Then it is refused as a body that is not JSON, and no house is stored
    assert refused_fields(answer, 422) == ["body"]
    assert "finite" in answer.json()["message"]
    assert item_count(grid, "ClientsTable") == before


def test_a_non_finite_energy_is_refused_and_nothing_recorded(grid: LocalCloud, house: Registered) -> None:
    before = item_count(grid, "ReadingsLedgerTable")
    text = '{"timestamp": "2026-03-01T00:00:00Z", "objects": {"tv": Infinity}}'
    answer = raw_post(grid, f"/houses/{house.id}/consumption", text, token=house.token)
    assert refused_fields(answer, 422) == ["body"]
    assert item_count(grid, "ReadingsLedgerTable") == before


def test_an_unknown_field_is_refused_by_name(grid: LocalCloud) -> None:
    before = item_count(grid, "ClientsTable")
    body = {"name": "N", "location": {"lat": 1, "lon": 2}, "acceptedPolicies": [], "isStaff": True}
    answer = grid.request("POST", "/houses", json_body=body)
    assert refused_fields(answer, 422) == ["body.isStaff"]
    assert item_count(grid, "ClientsTable") == before


def test_a_body_over_the_limit_is_refused_before_anything(grid: LocalCloud) -> None:
    # Given a registration padded past the limit (a valid JSON string, just too long)
    before = item_count(grid, "ClientsTable")
    body = {"name": "N" * MAX_BODY_BYTES, "location": {"lat": 1, "lon": 2}, "acceptedPolicies": []}
    # When it is posted, Then 413 naming the body, and no house is stored
    answer = grid.request("POST", "/houses", json_body=body)
    assert refused_fields(answer, 413) == ["body"]
    assert item_count(grid, "ClientsTable") == before


def test_a_batch_over_its_length_is_refused_whole(grid: LocalCloud, house: Registered) -> None:
    before = item_count(grid, "ReadingsLedgerTable")
    reading = {"houseId": house.id, "timestamp": CLOCK, "objects": {"tv": 1}}
    answer = grid.request(
        "POST", "/readings", token=grid.staff_token, json_body={"consumption": [reading] * (MAX_BATCH + 1)}
    )
    assert refused_fields(answer, 422) == ["body.consumption"]
    assert item_count(grid, "ReadingsLedgerTable") == before


# Readings outside their window -----------------------------------------------------------
def test_a_reading_far_in_the_future_is_refused(grid: LocalCloud, house: Registered) -> None:
    before = item_count(grid, "ReadingsLedgerTable")
    body = {"timestamp": TOMORROW_NOON, "objects": {"tv": 1}}
    answer = grid.request("POST", f"/houses/{house.id}/consumption", token=house.token, json_body=body)
    assert refused_fields(answer, 422) == ["body.timestamp"]
    assert "future" in answer.json()["message"]
    assert item_count(grid, "ReadingsLedgerTable") == before


def test_a_reading_before_the_house_registered_is_refused(grid: LocalCloud, house: Registered) -> None:
    # Given a house registered at the grid clock (2026-03-01T00:00)
    assert staff(grid, "GET", f"/houses/{house.id}")["registeredAt"] == CLOCK
    before = item_count(grid, "ReadingsLedgerTable")
    # When it posts a reading of the evening before, Then it is refused and not recorded
    body = {"timestamp": "2026-02-28T23:00:00Z", "objects": {"tv": 1}}
    answer = grid.request("POST", f"/houses/{house.id}/consumption", token=house.token, json_body=body)
    assert refused_fields(answer, 422) == ["body.timestamp"]
    assert "before the house registered" in answer.json()["message"]
    assert item_count(grid, "ReadingsLedgerTable") == before


def test_a_reading_within_the_tolerance_is_accepted(grid: LocalCloud, house: Registered) -> None:
    body = {"timestamp": "2026-03-01T23:00:00Z", "objects": {"tv": 1}}
    answer = grid.request("POST", f"/houses/{house.id}/consumption", token=house.token, json_body=body)
    assert answer.status == 202, answer.body


def test_a_production_far_in_the_future_is_refused(grid: LocalCloud) -> None:
    producer = register_producer(grid, "Hostile test producer")
    before = item_count(grid, "ReadingsLedgerTable")
    body = {"timestamp": TOMORROW_NOON, "wh": 10}
    answer = grid.request(
        "POST", f"/producers/{producer.id}/production", token=producer.token, json_body=body
    )
    assert refused_fields(answer, 422) == ["body.timestamp"]
    assert item_count(grid, "ReadingsLedgerTable") == before


def test_in_a_batch_only_the_readings_outside_their_window_are_refused(grid: LocalCloud) -> None:
    # Given a new house, and a batch of its readings: one now, one far ahead, one before it registered
    fresh = register_house(grid, "Hostile batch house")
    readings = [
        {"houseId": fresh.id, "timestamp": "2026-03-01T00:01:00Z", "objects": {"tv": 1}},
        {"houseId": fresh.id, "timestamp": TOMORROW_NOON, "objects": {"tv": 1}},
        {"houseId": fresh.id, "timestamp": "2026-02-27T00:00:00Z", "objects": {"tv": 1}},
    ]
    before = item_count(grid, "ReadingsLedgerTable")
    # When the head-end posts it
    answer = grid.request("POST", "/readings", token=grid.head_end_token, json_body={"consumption": readings})
    # Then the first is accepted, the two others refused with their reason
    assert answer.status == 202, answer.body
    statuses = [(r["status"], r.get("reason") or "") for r in answer.json()["results"]]
    assert statuses[0] == ("accepted", "")
    assert statuses[1][0] == "refused" and "future" in statuses[1][1]
    assert statuses[2][0] == "refused" and "before the house registered" in statuses[2][1]
    assert item_count(grid, "ReadingsLedgerTable") == before + 1


def test_json_error_bodies_are_json(grid: LocalCloud) -> None:
    answer = raw_post(grid, "/houses", "{not json")
    assert refused_fields(answer, 422) == ["body"]
    json.loads(answer.body)


def test_a_body_that_says_it_is_not_json_is_refused(grid: LocalCloud) -> None:
    # Found by the fuzzing: multipart/form-data without a boundary crashed the function (502)
    before = item_count(grid, "ClientsTable")
    body = b'{"name": "N", "location": {"lat": 1, "lon": 2}, "acceptedPolicies": []}'
    answer = grid.request("POST", "/houses", body=body, headers={"Content-Type": "multipart/form-data"})
    assert refused_fields(answer, 415) == ["header.Content-Type"]
    assert item_count(grid, "ClientsTable") == before


def test_a_storable_number_only(grid: LocalCloud) -> None:
    # Found by the fuzzing: 5e-324 W passed validation and DynamoDB refused it (502)
    answer = raw_post(grid, "/producers", '{"name": "Tiny", "productionLimitW": 5e-324}')
    assert refused_fields(answer, 422) == ["body"]


def test_an_undeclared_method_says_which_are_allowed(grid: LocalCloud) -> None:
    answer = grid.request("TRACE", "/houses")
    assert answer.status == 405
    assert answer.headers["Allow"] == "POST"


def test_a_body_that_is_not_text_is_refused(grid: LocalCloud, house: Registered) -> None:
    # Found by the fuzzing: bytes that are not UTF-8 crashed the resolver (502)
    before = item_count(grid, "ReadingsLedgerTable")
    body = b"\xff\xfe{\x04j"
    headers = {"Content-Type": "application/json"}
    answer = grid.request(
        "POST", f"/houses/{house.id}/consumption", body=body, token=house.token, headers=headers
    )
    assert refused_fields(answer, 400) == ["body"]
    assert item_count(grid, "ReadingsLedgerTable") == before
