"""A small client of the grid's own HTTP API (urllib, no dependency), for the simulators.

The simulated houses and producers are real clients of the API: they register, and post
readings in batches as a meter head-end does. The API's base URL is read from an SSM
parameter (its name in the function's environment): a function whose environment named the
API itself would make the template circular (the API references its functions).

Requests go through `urllib.request.urlopen`, the process's opener: the local runtime
installs a handler there that serves the API's own URL in-process (see `localcloud`).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from threading import Lock
from typing import Any

from pydantic import Field

from smartgrid import aws
from smartgrid.readings import MAX_BATCH
from smartgrid.settings import EnvSettings

RETRIED_STATUSES = {429, 502, 503, 504}
ATTEMPTS = 3
USER_AGENT = "smartgrid-simulator/1.0"


class ApiClientSettings(EnvSettings):
    """What a function that calls the API needs: where the URL is kept, and the head-end token."""

    api_url_parameter: str = Field(alias="API_URL_PARAMETER")
    head_end_token: str = Field(alias="HEAD_END_TOKEN", min_length=24)


class GridClientError(Exception):
    """The API answered with an error (or could not be reached: status 0)."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        message = body.get("message") if isinstance(body, dict) else body
        super().__init__(f"{method} {path}: {status} {message}")
        self.status = status
        self.body = body


@dataclass(frozen=True)
class Registered:
    id: str
    token: str


@dataclass
class BatchOutcome:
    """What the API made of the readings posted (summed over batches)."""

    batches: int = 0
    accepted: int = 0
    duplicates: int = 0
    refused: int = 0
    reasons: list[str] = field(default_factory=list)  # the first few refusals, for the logs

    def add(self, receipt: Mapping[str, Any]) -> None:
        self.batches += 1
        self.accepted += int(receipt.get("accepted", 0))
        self.duplicates += int(receipt.get("duplicates", 0))
        self.refused += int(receipt.get("refused", 0))
        for result in receipt.get("results", []):
            if result.get("status") == "refused" and len(self.reasons) < 5:
                kind = result.get("kind") or f"battery {result.get('batteryId')}"
                self.reasons.append(f"{kind} {result.get('index')}: {result.get('reason')}")


_urls: dict[tuple[str, str, str], str] = {}
_urls_lock = Lock()


def api_url(parameter_name: str) -> str:
    """The API's base URL from its SSM parameter (read once per process, region and endpoint)."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or ""
    key = (parameter_name, region, os.environ.get("AWS_ENDPOINT_URL", ""))
    with _urls_lock:
        if key not in _urls:
            value = aws.client("ssm").get_parameter(Name=parameter_name)["Parameter"]["Value"]
            _urls[key] = str(value).rstrip("/")
        return _urls[key]


class GridClient:
    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: ApiClientSettings) -> GridClient:
        """The head-end's client: the URL from SSM, the head-end token."""
        return cls(api_url(settings.api_url_parameter), settings.head_end_token)

    # Plumbing ---------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        retry: bool = False,
    ) -> Any:
        """The JSON answer of a request; GridClientError for an error status. `retry`: the
        request is idempotent, so a throttled or failed gateway answer is tried again."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if data is not None:
            headers["Content-Type"] = "application/json"
        bearer = token or self.token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        attempts = ATTEMPTS if retry else 1
        failure = GridClientError(method, path, 0, "not sent")
        for attempt in range(attempts):
            request = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return _json(response.read())
            except urllib.error.HTTPError as error:
                failure = GridClientError(method, path, error.code, _json(error.read()))
                if error.code not in RETRIED_STATUSES:
                    raise failure from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                failure = GridClientError(method, path, 0, str(error))
            if attempt + 1 < attempts:
                time.sleep(0.2 * 2**attempt)
        raise failure

    # The API ----------------------------------------------------------------------------
    def clock(self) -> str:
        """The grid's time (ISO instant)."""
        return str(self.request("GET", "/clock", retry=True)["now"])

    def register_house(
        self, name: str, location: Mapping[str, float], accepted_policies: Sequence[str]
    ) -> Registered:
        answer = self.request(
            "POST",
            "/houses",
            {"name": name, "location": dict(location), "acceptedPolicies": list(accepted_policies)},
        )
        return Registered(str(answer["houseId"]), str(answer["token"]))

    def house_becomes_producer(self, house_id: str, house_token: str) -> str:
        """The house (with its own token) becomes a local producer; its producer id."""
        answer = self.request("POST", f"/houses/{house_id}/producer", token=house_token, retry=True)
        return str(answer["producerId"])

    def register_producer(self, name: str, limit_w: float) -> Registered:
        answer = self.request("POST", "/producers", {"name": name, "productionLimitW": limit_w})
        return Registered(str(answer["producerId"]), str(answer["token"]))

    def change_producer_limit(self, producer_id: str, producer_token: str, limit_w: float) -> None:
        self.request(
            "PATCH",
            f"/producers/{producer_id}",
            {"productionLimitW": limit_w},
            token=producer_token,
            retry=True,
        )

    def request_schedule(self, house_id: str, house_token: str, name: str, body: Mapping[str, Any]) -> Any:
        """Asks consumption-scheduler to plan a schedulable object (the plan replaces any other)."""
        path = f"/houses/{house_id}/objects/{urllib.parse.quote(name, safe='')}/schedule"
        return self.request("POST", path, dict(body), token=house_token, retry=True)

    def cancel_schedule(self, house_id: str, house_token: str, name: str) -> None:
        """Cancels an object's plan; one already gone is fine."""
        path = f"/houses/{house_id}/objects/{urllib.parse.quote(name, safe='')}/schedule"
        try:
            self.request("DELETE", path, token=house_token, retry=True)
        except GridClientError as error:
            if error.status != 404:
                raise

    def register_battery(self, house_id: str, house_token: str, body: Mapping[str, Any]) -> Any:
        """The house (with its own token) fits a battery; the battery as the grid shows it."""
        return self.request("POST", f"/houses/{house_id}/battery", dict(body), token=house_token)

    def house_battery(self, house_id: str, house_token: str) -> Any:
        return self.request("GET", f"/houses/{house_id}/battery", token=house_token, retry=True)

    def post_battery_state(self, battery_id: str, token: str, timestamp: str, stored_wh: float) -> Any:
        body = {"timestamp": timestamp, "storedWh": stored_wh}
        return self.request("POST", f"/batteries/{battery_id}/state", body, token=token, retry=True)

    def post_battery_states(self, states: Sequence[Mapping[str, Any]]) -> BatchOutcome:
        """Posts battery states as head-end batches (`POST /batteries/states`, idempotent),
        each battery's in time order."""
        outcome = BatchOutcome()
        for start in range(0, len(states), MAX_BATCH):
            batch = [dict(s) for s in states[start : start + MAX_BATCH]]
            outcome.add(self.request("POST", "/batteries/states", {"states": batch}, retry=True))
        return outcome

    def post_readings(
        self, consumption: Sequence[Mapping[str, Any]], production: Sequence[Mapping[str, Any]]
    ) -> BatchOutcome:
        """Posts the readings as head-end batches of at most MAX_BATCH (`POST /readings`,
        idempotent: a reading posted twice is a duplicate)."""
        outcome = BatchOutcome()
        items: list[tuple[str, Mapping[str, Any]]] = [("consumption", c) for c in consumption]
        items += [("production", p) for p in production]
        for start in range(0, len(items), MAX_BATCH):
            batch: dict[str, list[Mapping[str, Any]]] = {"consumption": [], "production": []}
            for kind, reading in items[start : start + MAX_BATCH]:
                batch[kind].append(reading)
            outcome.add(self.request("POST", "/readings", batch, retry=True))
        return outcome


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")
