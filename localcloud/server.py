"""`make run`: the local cloud served over HTTP, with the clock ticking in real time.

Three endpoints share one in-process moto: the API (what `sam local start-api` would
serve), an AWS endpoint for external clients (aws cli, boto3 with endpoint_url), and the
background work AWS would do by itself (SQS event sources, the tick schedule).
"""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, TextIO, cast

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from localcloud.gateway import MAX_PAYLOAD_BYTES, Gateway, HttpResponse
from localcloud.host import GRID_LOCK
from localcloud.inprocess import watts
from localcloud.tap import TopicTap

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from localcloud.cloud import LocalCloud

SETTLE_WAIT_MAX = 30.0  # seconds a tick waits for the previous one's work (a retry may take longer)
IDLE_POLL_MIN = 0.01  # seconds between polls of a queue that was just found empty
IDLE_POLL_MAX = 0.5  # ...doubling up to this, so an idle grid costs little CPU
PAUSED_REPORT_SECONDS = 5.0  # with the tick off, how often activity is reported


def locked(app: WSGIApplication) -> WSGIApplication:
    """moto's WSGI app, one request at a time under GRID_LOCK: in-process moto is not thread-safe."""

    def once(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        with GRID_LOCK:
            result = app(environ, start_response)
            try:
                return list(result)  # consumed inside the lock: a body may be produced lazily
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()

    def serve(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET") == "AmazonSQS.ReceiveMessage":
            return _long_poll(once, environ, start_response)
        return once(environ, start_response)

    return serve


def _long_poll(
    once: Callable[[WSGIEnvironment, StartResponse], list[bytes]],
    environ: WSGIEnvironment,
    start_response: StartResponse,
) -> list[bytes]:
    """An SQS long poll as short polls, the lock released between them.

    moto waits for messages inside the call: under GRID_LOCK that would freeze the whole
    grid (and the very send that should wake the poll) for up to WaitTimeSeconds.
    """
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    try:
        request = json.loads(body or b"{}")
        wait = float(request.get("WaitTimeSeconds") or 0)
    except (ValueError, AttributeError, TypeError):
        request, wait = None, 0.0
    if request is not None and wait > 0:
        request["WaitTimeSeconds"] = 0
        body = json.dumps(request).encode()
    answer: list[Any] = []

    def capture(status: str, headers: list[tuple[str, str]], *_: Any) -> Callable[[bytes], object]:
        answer[:] = [status, headers]
        return lambda data: None

    deadline = time.monotonic() + wait
    while True:
        retry = dict(environ, **{"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
        data = b"".join(once(retry, capture))
        if time.monotonic() >= deadline or not answer[0].startswith("200") or b'"Messages"' in data:
            start_response(answer[0], answer[1])
            return [data]
        time.sleep(0.05)


class PayloadTooLarge(Exception):
    pass


class _ApiServer(ThreadingHTTPServer):
    def __init__(self, address: tuple[str, int], gateway: Gateway) -> None:
        self.gateway = gateway
        super().__init__(address, _ApiHandler)


class _ApiHandler(BaseHTTPRequestHandler):
    """Every request, whatever its method or path, goes to the gateway as API Gateway would."""

    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
    server_version = "smartgrid-local"

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except PayloadTooLarge:  # refused unread: a body that large is not taken into memory
            self._answer(
                HttpResponse(413, {"Content-Type": "application/json"}, b'{"error":"payload_too_large"}')
            )
            self.close_connection = True
            return
        except ValueError:
            self._answer(HttpResponse(400, {"Content-Type": "application/json"}, b'{"error":"bad_request"}'))
            self.close_connection = True
            return
        headers: dict[str, str] = {}
        for name, value in self.headers.items():  # repeated headers fold into one, comma-separated
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        try:
            response = cast(_ApiServer, self.server).gateway.handle(self.command, self.path, headers, body)
        except Exception:  # a runtime bug, not a function's: still an HTTP answer
            traceback.print_exc()
            payload = json.dumps({"error": "internal_error", "message": "the local runtime failed"}).encode()
            response = HttpResponse(500, {"Content-Type": "application/json"}, payload)
        self._answer(response)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline().strip():  # trailers, up to the blank line
                pass
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        if length > MAX_PAYLOAD_BYTES:
            raise PayloadTooLarge
        return self.rfile.read(length)

    def _answer(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the per-tick status line says what happened; one line per request drowns it


def describe_peaks(peaks: list[dict[str, Any]]) -> str:
    """The peaks of a status line: each community once, at its highest, over its threshold."""
    highest: dict[str, dict[str, Any]] = {}
    for peak in peaks:
        community = str(peak["communityId"])
        if community not in highest or peak["valueW"] > highest[community]["valueW"]:
            highest[community] = peak
    shown = ", ".join(
        f"{c} {watts(p['valueW'])} > {watts(p['thresholdW'])}" for c, p in sorted(highest.items())
    )
    return f"peaks: {shown}"


def describe_dead_letters(depths: dict[str, int]) -> str:
    """The line said when the non-empty dead-letter queues change (`depths`: the non-empty ones)."""
    if not depths:
        return "dead-letter queues are empty again"
    listed = ", ".join(f"{queue} {depth}" for queue, depth in sorted(depths.items()))
    return (
        f"warning: dead-letter queues not empty: {listed}"
        " (see GET /admin/dlq; replay with POST /admin/dlq/{queue}/redrive)"
    )


class GridServer:
    """The grid served on sockets: `start()` provisions and serves, `stop()` ends it all.

    Port 0 picks a free port (tests); `api_url` and `aws_url` tell the ones bound.
    """

    def __init__(
        self,
        cloud: LocalCloud,
        *,
        host: str = "127.0.0.1",
        port: int = 3000,
        aws_port: int = 4566,
        tick_seconds: float = 1.0,
        out: TextIO | None = None,
    ) -> None:
        self.cloud = cloud
        self.host = host
        self.port = port
        self.aws_port = aws_port
        self.tick_seconds = tick_seconds
        self.out = out or sys.stdout
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._api: _ApiServer | None = None
        self._aws: BaseWSGIServer | None = None
        self._moto_app: WSGIApplication | None = None
        self._count_lock = threading.Lock()
        self._records = 0
        self._seen_invocations = 0
        self._seen_errors = 0
        self._dead_letters: dict[str, int] = {}
        self._taps: dict[str, TopicTap] = {}

    # Life cycle ---------------------------------------------------------------------------
    def start(self) -> GridServer:
        # Bind first, so a busy port fails at once rather than after provisioning; serve
        # only once provisioning is done, so an answer to GET /health means ready.
        self._api = _ApiServer((self.host, self.port), self.cloud.gateway)
        try:
            self._aws = make_server(
                self.host, self.aws_port, self._serve_aws, threaded=True, request_handler=MotoRequestHandler
            )
            logging.getLogger("werkzeug").setLevel(logging.ERROR)  # it logs every request otherwise
            self.cloud.start()
        except BaseException:
            self._close_sockets()
            raise
        self._moto_app = locked(DomainDispatcherApplication(create_backend_app))
        self._taps = {topic: TopicTap(self.cloud, topic) for topic in ("ConsumptionPeakTopic", "AlertTopic")}
        self._seen_invocations, self._seen_errors = self._totals()
        for name, target in (
            ("api", self._api.serve_forever),
            ("aws", self._aws.serve_forever),
            ("dispatcher", self._dispatch),
            ("clock", self._clock),
        ):
            thread = threading.Thread(target=target, name=f"grid-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopping.set()
        for server in (self._api, self._aws):
            if server is not None and self._threads:
                server.shutdown()  # waits for serve_forever to return
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads.clear()
        self._close_sockets()
        self.cloud.stop()

    def __enter__(self) -> GridServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _close_sockets(self) -> None:
        for server in (self._api, self._aws):
            if server is not None:
                server.server_close()
        self._api = self._aws = None

    def _serve_aws(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self._moto_app is None:  # not reachable: the server is served only after start
            start_response("503 Service Unavailable", [("Content-Length", "0")])
            return []
        return self._moto_app(environ, start_response)

    @property
    def api_url(self) -> str:
        return self._url(self._api.server_address[1] if self._api else self.port)

    @property
    def aws_url(self) -> str:
        return self._url(self._aws.server_address[1] if self._aws else self.aws_port)

    def _url(self, port: int) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{port}"

    # Background work ----------------------------------------------------------------------
    def _dispatch(self) -> None:
        """Polls every SQS event source; a queue found empty is polled less and less often."""
        sources = self.cloud.pollers
        delay = [0.0] * len(sources)
        due = [0.0] * len(sources)
        while not self._stopping.is_set():
            for i, source in enumerate(sources):
                if due[i] > time.monotonic():
                    continue
                try:
                    handled = source.poll()
                except Exception as error:  # the runtime's own failure: say so, keep the others going
                    self.say(f"warning: polling {source.host.spec.logical_id} failed: {error!r}")
                    handled = 0
                if handled:
                    with self._count_lock:
                        self._records += handled
                    delay[i] = due[i] = 0.0
                else:
                    delay[i] = min(IDLE_POLL_MAX, max(IDLE_POLL_MIN, delay[i] * 2))
                    due[i] = time.monotonic() + delay[i]
            self._stopping.wait(
                max(0.0, min(due, default=time.monotonic() + IDLE_POLL_MAX) - time.monotonic())
            )

    def _clock(self) -> None:
        """Fires the schedule every tick_seconds and prints what happened since the last tick."""
        ticking = self.tick_seconds > 0
        period = self.tick_seconds if ticking else PAUSED_REPORT_SECONDS
        next_at = time.monotonic() + period
        while not self._stopping.wait(max(0.0, next_at - time.monotonic())):
            if ticking:
                self._wait_until_settled()
            # A late tick is not caught up with a burst: the simulated clock just runs slower.
            next_at = max(next_at + period, time.monotonic())
            now = self.tick() if ticking else None
            self.report(now, quiet_when_idle=not ticking)

    def _wait_until_settled(self) -> None:
        """The next tick waits for the last one's readings to be in every store (up to
        SETTLE_WAIT_MAX): a grid slower than the tick period runs its clock slower, rather
        than closing frames before their readings arrive."""
        deadline = time.monotonic() + SETTLE_WAIT_MAX
        while not self.cloud.settled() and time.monotonic() < deadline:
            if self._stopping.wait(0.01):
                return

    def tick(self) -> str | None:
        """Fires every schedule once; the grid's simulated time after it, when the clock says."""
        now = None
        for schedule in self.cloud.schedules:
            try:
                result = schedule.fire()
            except Exception as error:
                self.say(f"warning: {schedule.host.spec.logical_id} failed: {error!r}")
                continue
            if isinstance(result, dict) and "now" in result:
                now = str(result["now"])
        return now

    def report(self, now: str | None, *, quiet_when_idle: bool = False) -> None:
        """One status line of what happened since the last, and any change of the dead letters."""
        with self._count_lock:
            records, self._records = self._records, 0
        invocations, errors = self._totals()
        new_invocations, new_errors = invocations - self._seen_invocations, errors - self._seen_errors
        self._seen_invocations, self._seen_errors = invocations, errors
        with GRID_LOCK:  # no simulator is half-way through its batches
            posted = self.cloud.posted_readings.take()  # the latest tick the simulators posted
        if not (quiet_when_idle and not records and not new_invocations):
            clock = f"grid time {now}" if now else "grid clock paused"
            line = f"{clock} | records {records} | invocations {new_invocations} | errors {new_errors}"
            line = f"{line} | {posted.describe()}" if posted else line
            peaks = self._taps["ConsumptionPeakTopic"].events() if self._taps else []
            self.say(f"{line} | {describe_peaks(peaks)}" if peaks else line)
        for alert in self._taps["AlertTopic"].events() if self._taps else []:
            # a malfunction is published as it opens, while it lasts, and as it closes
            closed = " closed" if alert.get("status") == "closed" else ""
            self.say(f"alert{closed}: {alert.get('message', alert)}")
        dead = {queue: depth for queue, depth in self.dead_letter_depths().items() if depth}
        if dead != self._dead_letters:  # once per change, not every tick
            self.say(describe_dead_letters(dead))
            self._dead_letters = dead

    def dead_letter_depths(self) -> dict[str, int]:
        """Depth of every dead-letter queue, by its logical id (the name GET /admin/dlq shows)."""
        provisioned = self.cloud.provisioned
        logical_ids = {url: logical_id for logical_id, url in provisioned.queues.items()}
        return {
            logical_ids[provisioned.dead_letter_queues[source]]: depth
            for source, depth in self.cloud.dead_letters().items()
        }

    def _totals(self) -> tuple[int, int]:
        hosts = list(self.cloud.hosts.values())
        return sum(h.invocations for h in hosts), sum(h.errors for h in hosts)

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)


def banner(server: GridServer, token_generated: bool) -> str:
    api, token = server.api_url, server.cloud.staff_token
    pace = (
        f"one tick every {server.tick_seconds:g} s"
        if server.tick_seconds > 0
        else "paused (POST /clock/advance)"
    )
    origin = (
        "generated; set SMARTGRID_STAFF_TOKEN to choose it"
        if token_generated
        else "from SMARTGRID_STAFF_TOKEN"
    )
    house = '{"name": "Pierre & Marie", "location": {"lat": 48.85, "lon": 2.35}}'
    return "\n".join(
        [
            "Smartrix Grid runs locally (Ctrl-C stops it)",
            f"  API           {api}",
            f"  API docs      {api}/docs",
            f"  dashboard     {api}/dashboard#token={token}",
            f"  AWS endpoint  {server.aws_url}  (any credentials, region {server.cloud.region})",
            f"  staff token   {token}  ({origin})",
            f"  grid clock    {pace}",
            f"  try: curl -X POST {api}/houses -H 'Content-Type: application/json' -d '{house}'",
        ]
    )
