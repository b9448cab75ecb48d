"""The server mode (`make run`): the grid over real sockets, the clock ticking in real time.

`LocalCloud.start()` starts moto's mock, so no other moto mock may be active meanwhile: the
shared server lives for one class only, and the life-cycle test starts its own after it.
"""

from __future__ import annotations

import io
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from localcloud import LocalCloud
from localcloud.server import GridServer
from tests.conftest import CLOCK_START, STAFF_TOKEN

# Straight to 127.0.0.1, whatever proxy the environment names.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def start_server(tick_seconds: float) -> tuple[GridServer, io.StringIO]:
    out = io.StringIO()
    cloud = LocalCloud(
        deterministic=False,
        staff_token=STAFF_TOKEN,
        parameters={"ClockStart": CLOCK_START, "LogLevel": "WARNING"},
    )
    # Port 0: the system picks free ports, so parallel runs do not collide.
    server = GridServer(cloud, port=0, aws_port=0, tick_seconds=tick_seconds, out=out)
    return server.start(), out


def call(method: str, url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def aws(server: GridServer, service: str) -> Any:
    session = boto3.session.Session(
        aws_access_key_id="any", aws_secret_access_key="any", region_name="us-east-1"
    )
    return session.client(service, endpoint_url=server.aws_url)  # type: ignore[call-overload]


def port_is_free(port: int) -> bool:
    """Another server could listen there (with SO_REUSEADDR, as servers do: closed
    connections linger in TIME_WAIT), and nothing answers there any more."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    with socket.socket() as client:
        return client.connect_ex(("127.0.0.1", port)) != 0


class TestARunningGrid:
    @pytest.fixture(scope="class")
    def grid(self) -> Iterator[tuple[GridServer, io.StringIO]]:
        server, out = start_server(tick_seconds=0.2)
        yield server, out
        server.stop()

    def test_the_api_answers_over_a_real_socket(self, grid: tuple[GridServer, io.StringIO]) -> None:
        # Given a running grid
        server, _ = grid
        # When a client reads the clock over HTTP
        status, body = call("GET", f"{server.api_url}/clock")
        # Then the clock function answers through the gateway
        assert status == 200
        assert body["now"] >= CLOCK_START

    def test_an_unknown_path_is_a_json_404(self, grid: tuple[GridServer, io.StringIO]) -> None:
        # Given a running grid
        server, _ = grid
        # When a client asks for a path no function owns
        status, body = call("GET", f"{server.api_url}/no/such/route?x=1")
        # Then the gateway says so, in JSON
        assert status == 404
        assert body["error"] == "not_found"

    def test_the_clock_advances_with_the_tick_and_each_tick_is_reported(
        self, grid: tuple[GridServer, io.StringIO]
    ) -> None:
        # Given the clock's time now
        server, out = grid
        before = call("GET", f"{server.api_url}/clock")[1]["now"]
        # When real time passes (a tick every 0.2 s)
        deadline = time.monotonic() + 10
        now = before
        while (now == before or "grid time " not in out.getvalue()) and time.monotonic() < deadline:
            time.sleep(0.1)
            now = call("GET", f"{server.api_url}/clock")[1]["now"]
        # Then the simulated time has moved on, and a status line (printed once the tick has
        # settled, so after the clock moved) told it
        assert now > before
        assert "grid time " in out.getvalue()
        assert "| invocations " in out.getvalue()

    def test_the_staff_advances_the_clock_by_post(self, grid: tuple[GridServer, io.StringIO]) -> None:
        # Given a running grid
        server, _ = grid
        # When anyone but the staff asks to advance the clock
        denied, _ = call("POST", f"{server.api_url}/clock/advance", {"ticks": 60})
        # And when the staff does
        status, moved = call("POST", f"{server.api_url}/clock/advance", {"ticks": 60}, token=STAFF_TOKEN)
        # Then only the staff's request moves it, by an hour
        assert denied == 401
        assert status == 200
        assert moved["ticks"] == 60 and moved["now"] > moved["previous"]

    def test_the_aws_endpoint_shares_the_grids_backends(self, grid: tuple[GridServer, io.StringIO]) -> None:
        # Given a grid provisioned in-process
        server, _ = grid
        # When an external client lists tables and topics through the AWS endpoint
        tables = aws(server, "dynamodb").list_tables()["TableNames"]
        topics = {t["TopicArn"] for t in aws(server, "sns").list_topics()["Topics"]}
        # Then it sees what the template created
        assert set(server.cloud.provisioned.tables.values()) <= set(tables)
        assert set(server.cloud.provisioned.topics.values()) <= topics
        # And it reads the very items the functions wrote (the clock's state)
        clock_table = server.cloud.provisioned.tables["ClockTable"]
        assert aws(server, "dynamodb").scan(TableName=clock_table)["Count"] >= 1

    def test_a_long_poll_through_the_endpoint_does_not_freeze_the_grid(
        self, grid: tuple[GridServer, io.StringIO]
    ) -> None:
        # Given an external client long-polling an empty queue of its own
        server, _ = grid
        sqs = aws(server, "sqs")
        queue = sqs.create_queue(QueueName="scenario-watch")["QueueUrl"]
        received: list[Any] = []
        poll = threading.Thread(
            target=lambda: received.extend(
                sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=20).get("Messages", [])
            )
        )
        poll.start()
        time.sleep(0.3)
        # When the API is called and a message is sent meanwhile
        started = time.monotonic()
        status, _ = call("GET", f"{server.api_url}/clock")
        answered_in = time.monotonic() - started
        aws(server, "sqs").send_message(QueueUrl=queue, MessageBody="hello")
        poll.join(timeout=25)
        # Then the API answered well before the poll's 20 s (a frozen grid would wait them out;
        # the margin is for a loaded machine), and the poll woke up with the message
        assert status == 200 and answered_in < 8
        assert [m["Body"] for m in received] == ["hello"]

    def test_a_dead_letter_is_warned_of_once_with_where_to_look(
        self, grid: tuple[GridServer, io.StringIO]
    ) -> None:
        # Given a running grid, and a poison message put on a dead-letter queue through the AWS endpoint
        server, out = grid
        sqs = aws(server, "sqs")
        dlq = server.cloud.provisioned.queues["ClientNotifierDeadLetterQueue"]
        sqs.send_message(QueueUrl=dlq, MessageBody="{not json")
        warning = (
            "warning: dead-letter queues not empty: ClientNotifierDeadLetterQueue 1"
            " (see GET /admin/dlq; replay with POST /admin/dlq/{queue}/redrive)"
        )
        # When a few ticks pass (one every 0.2 s)
        deadline = time.monotonic() + 10
        while warning not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)
        # Then one line names the queue, its depth and the route, however many ticks went by
        assert out.getvalue().splitlines().count(warning) == 1
        # And once the queue is emptied, one line says so
        (message,) = sqs.receive_message(QueueUrl=dlq)["Messages"]
        sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
        deadline = time.monotonic() + 10
        while "dead-letter queues are empty again" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert out.getvalue().splitlines().count("dead-letter queues are empty again") == 1


def test_an_explicit_tick_moves_a_paused_clock_and_stop_frees_the_ports() -> None:
    # Given a grid whose clock never ticks by itself
    server, _ = start_server(tick_seconds=0)
    ports = [urlsplit(server.api_url).port, urlsplit(server.aws_url).port]
    try:
        before = call("GET", f"{server.api_url}/clock")[1]["now"]
        time.sleep(0.5)
        assert call("GET", f"{server.api_url}/clock")[1]["now"] == before
        # When the schedule is fired once
        after = server.tick()
        # Then the clock moved by exactly one tick, as the API tells too
        assert after is not None and after > before
        assert call("GET", f"{server.api_url}/clock")[1]["now"] == after
    finally:
        # When the server stops
        server.stop()
    # Then both ports are free again
    assert all(port is not None and port_is_free(port) for port in ports)
