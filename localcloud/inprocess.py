"""The API's real URL, served in-process: what lets the simulators call the grid's API locally.

The template gives the simulators the API's URL (`https://<api id>.execute-api.<region>.
amazonaws.com/<stage>`, the api id being `local` here). `InProcessApi` is a urllib handler,
tried before the default HTTPS handler, that answers requests for `local.execute-api.*`
through the runtime's gateway, without a socket: from inside a handler (the grid's lock is
re-entrant) as from a test or the demo loader. Going through the :3000 socket instead would
deadlock: the caller holds the lock the server needs to answer.

It also keeps a tally of the readings posted through it (`POST /readings`): the server prints
the latest simulated consumption and production with each tick.
"""

from __future__ import annotations

import email.message
import http.client
import io
import json
import threading
import urllib.request
import urllib.response
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from localcloud.gateway import Gateway, HttpResponse
from smartgrid.gridtime import parse_instant

LOCAL_API_PREFIX = "local.execute-api."


Interval = tuple[datetime, int]  # a reading's start and minutes
FLOWS = ("consumption", "houses", "utility")  # production is the houses' (solar) and the utilities'


def _mean_w(mwh: int, minutes: int) -> float:
    return mwh / 1000 * 60 / minutes


@dataclass(frozen=True)
class PostedReadings:
    """The simulated grid at the latest interval the simulators posted, and how many readings
    were posted since the last `take()`."""

    start: datetime
    minutes: int
    consumption_mwh: int | None  # None: no house posted this interval
    houses_mwh: int
    utility_mwh: int | None  # None: no utility producer posted this interval (yet)
    readings: int

    def describe(self) -> str:
        when = f"{self.start:%H:%M}"
        if self.minutes > 1:
            when = f"{self.start:%Y-%m-%d %H:%M} ({self.minutes} min)"
        parts = []
        if self.consumption_mwh is not None:
            parts.append(f"consumption {watts(_mean_w(self.consumption_mwh, self.minutes))}")
        produced = self.houses_mwh + (self.utility_mwh or 0)
        if self.utility_mwh is not None or self.houses_mwh:
            houses = f" (houses {watts(_mean_w(self.houses_mwh, self.minutes))})" if self.houses_mwh else ""
            parts.append(f"production {watts(_mean_w(produced, self.minutes))}{houses}")
        return f"simulated {when}: " + ", ".join(parts)


def watts(value: float) -> str:
    if abs(value) >= 1e6:
        return f"{value / 1e6:.2f} MW"
    if abs(value) >= 1e3:
        return f"{value / 1e3:.1f} kW"
    return f"{value:.0f} W"


class ReadingsTally:
    """What the in-process clients (the simulators) posted, per interval, for the server's
    status line. The houses post their consumption and production together, the utility
    producers theirs in batches of their own; an interval is shown once both have posted it
    (each posts all its batches within one invocation, which holds the grid's lock), or, if
    no utility producer posts at all, as soon as the houses have."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._energy: dict[str, dict[Interval, int]] = {flow: {} for flow in FLOWS}
        self._readings = 0

    def record(self, body: bytes, response: HttpResponse) -> None:
        if not 200 <= response.status < 300:
            return
        try:
            batch = json.loads(body)
            refused = {
                (r["kind"], r["index"])
                for r in response.json().get("results", [])
                if r["status"] == "refused"
            }
            consumption = batch.get("consumption") or []
            production = batch.get("production") or []
        except (ValueError, KeyError, TypeError, AttributeError):
            return
        producers = "houses" if consumption else "utility"
        with self._lock:
            for index, reading in enumerate(consumption):
                if ("consumption", index) not in refused:
                    self._add("consumption", reading)
            for index, reading in enumerate(production):
                if ("production", index) not in refused:
                    self._add(producers, reading)

    def _add(self, flow: str, reading: dict[str, Any]) -> None:
        try:
            start = parse_instant(str(reading["timestamp"]))
            minutes = int(reading.get("durationMinutes", 1))
            if flow == "consumption":
                mwh = sum(round(float(v) * 1000) for v in reading["objects"].values())
            else:
                mwh = round(float(reading["wh"]) * 1000)
        except (KeyError, TypeError, ValueError, AttributeError):
            return
        energy = self._energy[flow]
        energy[(start, minutes)] = energy.get((start, minutes), 0) + mwh
        self._readings += 1

    def take(self) -> PostedReadings | None:
        """The latest complete interval, if anything was posted since the last call."""
        with self._lock:
            if not self._readings:
                return None
            consumption, houses, utility = (self._energy[flow] for flow in FLOWS)
            both = consumption.keys() & utility.keys()
            if both:
                key = max(both)
            elif consumption and not utility:
                key = max(consumption)  # houses only: no utility producer posts
            else:
                key = max(utility or consumption)
            taken = PostedReadings(
                start=key[0],
                minutes=key[1],
                consumption_mwh=consumption.get(key),
                houses_mwh=houses.get(key, 0),
                utility_mwh=utility.get(key),
                readings=self._readings,
            )
            for energy in self._energy.values():  # what is older is complete and shown: forget it
                for older in [k for k in energy if k < key]:
                    del energy[older]
            self._readings = 0
        return taken


class InProcessApi(urllib.request.BaseHandler):
    """A urllib handler for `https://local.execute-api.*/<stage>/…`: the gateway answers."""

    handler_order = 50  # before the proxy handler (100) and the HTTPS handler (500)

    def __init__(self, gateway: Gateway, tally: ReadingsTally | None = None) -> None:
        self.gateway = gateway
        self.tally = tally or ReadingsTally()

    def https_open(self, request: urllib.request.Request) -> urllib.response.addinfourl | None:
        # The full URL, not request.host: a proxy handler may have rewritten the host.
        parts = urlsplit(request.full_url)
        if not (parts.hostname or "").startswith(LOCAL_API_PREFIX):
            return None  # not ours: the next handler opens it
        stage = f"/{self.gateway.stage}"
        path = parts.path
        if path != stage and not path.startswith(stage + "/"):
            answer = HttpResponse(403, {"Content-Type": "application/json"}, b'{"message":"Forbidden"}')
        else:
            path = path[len(stage) :] or "/"
            headers = {name.title(): value for name, value in request.header_items()}
            headers.setdefault("Host", parts.netloc)
            body = _body(request.data)
            target = f"{path}?{parts.query}" if parts.query else path
            answer = self.gateway.handle(request.get_method(), target, headers, body)
            if path == "/readings" and request.get_method() == "POST":
                self.tally.record(body, answer)
        return _response(request.full_url, answer)


def _body(data: Any) -> bytes:
    if data is None:
        return b""
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    if hasattr(data, "read"):
        return bytes(data.read())
    return b"".join(bytes(chunk) for chunk in data)


def _response(url: str, answer: HttpResponse) -> urllib.response.addinfourl:
    headers = email.message.Message()
    for name, value in answer.headers.items():
        headers[name] = value
    if "Content-Length" not in headers:
        headers["Content-Length"] = str(len(answer.body))
    response = urllib.response.addinfourl(io.BytesIO(answer.body), headers, url, answer.status)
    response.msg = http.client.responses.get(answer.status, "")  # type: ignore[attr-defined]
    return response


class InstalledOpener:
    """Installs the handler in urllib's process-wide opener; `remove()` puts the previous back."""

    def __init__(self, handler: InProcessApi) -> None:
        self.handler = handler
        self._previous = getattr(urllib.request, "_opener", None)
        urllib.request.install_opener(urllib.request.build_opener(handler))

    def remove(self) -> None:
        urllib.request.install_opener(self._previous)
