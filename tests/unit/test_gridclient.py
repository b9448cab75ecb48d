"""The simulators' API client, and the runtime's in-process route for the API's real URL,
with a fake gateway (no AWS, no socket)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.gateway import HttpResponse
from localcloud.inprocess import InProcessApi, InstalledOpener, ReadingsTally, watts
from smartgrid.gridclient import GridClient, GridClientError

URL = "https://local.execute-api.us-east-1.amazonaws.com/dev"


class FakeGateway:
    """Answers as the gateway would, and remembers every request."""

    stage = "dev"

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.answers: list[HttpResponse] = []

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> HttpResponse:
        self.requests.append((method, path, headers, body))
        if self.answers:
            return self.answers.pop(0)
        if path == "/readings":
            batch = json.loads(body)
            accepted = len(batch["consumption"]) + len(batch["production"])
            answer = {"accepted": accepted, "duplicates": 0, "refused": 0, "results": []}
            return HttpResponse(202, {"Content-Type": "application/json"}, json.dumps(answer).encode())
        return HttpResponse(200, {"Content-Type": "application/json"}, b'{"now": "2026-03-01T10:00:00Z"}')


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    fake = FakeGateway()
    opener = InstalledOpener(InProcessApi(fake))  # type: ignore[arg-type]
    yield fake
    opener.remove()


def answer(status: int, body: Any) -> HttpResponse:
    return HttpResponse(status, {"Content-Type": "application/json"}, json.dumps(body).encode())


def test_the_api_url_is_answered_in_process_without_the_stage(gateway: FakeGateway) -> None:
    # Given the in-process route / When a client asks the API's real URL for the clock
    now = GridClient(URL, "staff-token").clock()
    # Then the gateway answered the path without /dev, with the bearer token
    assert now == "2026-03-01T10:00:00Z"
    ((method, path, headers, body),) = gateway.requests
    assert (method, path, body) == ("GET", "/clock", b"")
    assert headers["Authorization"] == "Bearer staff-token"
    assert headers["Host"] == "local.execute-api.us-east-1.amazonaws.com"


def test_query_strings_and_bodies_reach_the_gateway(gateway: FakeGateway) -> None:
    GridClient(URL).request("PATCH", "/houses/h-1?x=1", {"name": "n"})
    ((method, path, headers, body),) = gateway.requests
    assert (method, path, json.loads(body)) == ("PATCH", "/houses/h-1?x=1", {"name": "n"})
    assert headers["Content-Type"] == "application/json"


def test_another_stage_is_forbidden_and_errors_are_raised_with_their_body(gateway: FakeGateway) -> None:
    with pytest.raises(GridClientError) as caught:
        GridClient("https://local.execute-api.us-east-1.amazonaws.com/prod").clock()
    assert caught.value.status == 403 and gateway.requests == []
    gateway.answers.append(answer(422, {"error": "validation_error", "message": "body.name: missing"}))
    with pytest.raises(GridClientError) as refused:
        GridClient(URL).register_producer("x", 1)
    assert refused.value.status == 422
    assert refused.value.body["error"] == "validation_error"
    assert "body.name: missing" in str(refused.value)


def test_other_hosts_are_left_to_the_next_handler(gateway: FakeGateway) -> None:
    handler = InProcessApi(gateway)  # type: ignore[arg-type]
    request = urllib.request.Request("https://example.com/dev/clock")
    assert handler.https_open(request) is None


def test_readings_go_in_batches_of_at_most_a_thousand(gateway: FakeGateway) -> None:
    # Given 1,500 consumption and 700 production readings
    consumption = [
        {"houseId": f"h-{n}", "timestamp": "2026-03-01T10:00:00Z", "objects": {"fridge": 1.5}}
        for n in range(1500)
    ]
    production = [
        {"producerId": f"p-{n}", "timestamp": "2026-03-01T10:00:00Z", "wh": 2.0} for n in range(700)
    ]
    # When the head-end posts them
    outcome = GridClient(URL, "head-end").post_readings(consumption, production)
    # Then three batches of at most 1,000, in order, every reading once
    sizes = [
        (len(json.loads(b)["consumption"]), len(json.loads(b)["production"])) for *_, b in gateway.requests
    ]
    assert sizes == [(1000, 0), (500, 500), (0, 200)]
    assert (outcome.batches, outcome.accepted) == (3, 2200)


def test_idempotent_requests_are_retried_when_the_gateway_fails(
    gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("smartgrid.gridclient.time.sleep", lambda seconds: None)
    gateway.answers += [answer(502, {"message": "bad gateway"}), answer(503, {"message": "busy"})]
    assert GridClient(URL).clock() == "2026-03-01T10:00:00Z"
    assert len(gateway.requests) == 3
    # A registration is not idempotent: it is not retried
    gateway.requests.clear()
    gateway.answers.append(answer(503, {"message": "busy"}))
    with pytest.raises(GridClientError):
        GridClient(URL).register_house("Pierre & Marie", {"lat": 1.0, "lon": 2.0}, [])
    assert len(gateway.requests) == 1


def post(tally: ReadingsTally, batch: dict[str, Any], refused: list[dict[str, Any]] | None = None) -> None:
    tally.record(json.dumps(batch).encode(), answer(202, {"results": refused or []}))


def consumption(minute: str, **objects: float) -> dict[str, Any]:
    return {"houseId": "h-1", "timestamp": f"2026-03-01T10:{minute}:00Z", "objects": objects}


def production(minute: str, wh: float, producer: str = "p-1") -> dict[str, Any]:
    return {"producerId": producer, "timestamp": f"2026-03-01T10:{minute}:00Z", "wh": wh}


def test_the_tally_shows_the_latest_tick_both_simulators_posted() -> None:
    # Given the houses (consumption, and their panels) and the producers posting two ticks,
    # one house reading refused
    tally = ReadingsTally()
    post(tally, {"consumption": [consumption("40", a=5.0)], "production": [production("40", 1, "p-h-1")]})
    post(tally, {"production": [production("40", 20)]})
    post(
        tally,
        {
            "consumption": [consumption("41", a=10.0, b=6.667), consumption("41", a=999)],
            "production": [production("41", 1, "p-h-1")],
        },
        refused=[{"kind": "consumption", "index": 1, "status": "refused"}],
    )
    post(tally, {"production": [production("41", 24)]})
    # When the server takes it
    posted = tally.take()
    # Then the latest tick's accepted energy, as mean powers, the houses' share of production named
    assert posted is not None and posted.readings == 6  # the accepted ones
    assert (posted.consumption_mwh, posted.houses_mwh, posted.utility_mwh) == (16_667, 1_000, 24_000)
    assert posted.describe() == "simulated 10:41: consumption 1.0 kW, production 1.5 kW (houses 60 W)"
    assert tally.take() is None  # nothing new


def test_a_tick_is_shown_once_the_producers_posted_it_too() -> None:
    # Given houses a tick ahead of the producers
    tally = ReadingsTally()
    post(tally, {"consumption": [consumption("40", a=450)]})
    post(tally, {"production": [production("40", 500)]})
    post(tally, {"consumption": [consumption("41", a=400)]})
    # Then the tick both posted is shown
    first = tally.take()
    assert first is not None
    assert first.describe() == "simulated 10:40: consumption 27.0 kW, production 30.0 kW"
    # And once the producers post the next, it is
    post(tally, {"production": [production("41", 450)]})
    second = tally.take()
    assert second is not None
    assert second.describe() == "simulated 10:41: consumption 24.0 kW, production 27.0 kW"


def test_houses_without_utility_producers_are_shown_at_once() -> None:
    tally = ReadingsTally()
    post(tally, {"consumption": [consumption("40", a=450)]})
    posted = tally.take()
    assert posted is not None and posted.describe() == "simulated 10:40: consumption 27.0 kW"


def test_a_jump_shows_its_last_hour() -> None:
    tally = ReadingsTally()
    batch = {
        "consumption": [
            {
                "houseId": "h-1",
                "timestamp": f"2026-03-01T{h:02d}:00:00Z",
                "durationMinutes": 60,
                "objects": {"a": 500},
            }
            for h in range(24)
        ]
    }
    post(tally, batch)
    posted = tally.take()
    assert posted is not None and posted.readings == 24
    assert posted.describe() == "simulated 2026-03-01 23:00 (60 min): consumption 500 W"


def test_watts_are_shown_in_readable_units() -> None:
    assert [watts(w) for w in (950, 41_300, 2_500_000)] == ["950 W", "41.3 kW", "2.50 MW"]
