"""What the function tests share: sample events adapted to a test's own house, answers of
API functions, table snapshots, and probes that listen on a topic of the bus."""

from __future__ import annotations

import copy
import itertools
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from localcloud import LocalCloud
from localcloud.gateway import Gateway
from localcloud.tap import TopicTap
from smartgrid.ids import HOUSE_PREFIX, new_id
from tests.conftest import sample_event
from tests.helpers import Registered, register_house

KEEP: Any = object()  # leave this part of the sample event as it is
_PLACES = itertools.count()


# Sample events ---------------------------------------------------------------------------
def api_event(
    function_dir: str,
    case: str,
    *,
    path: Mapping[str, str] | None = None,
    token: str | None = KEEP,
    body: Any = KEEP,
    query: Mapping[str, str] | None = KEEP,
) -> dict[str, Any]:
    """A sample API Gateway event, with its path parameters, bearer token (None: no
    Authorization header), JSON body or query string replaced as a test needs."""
    event = copy.deepcopy(sample_event(function_dir, case))
    if path:
        event["pathParameters"] = {**(event["pathParameters"] or {}), **path}
        resolved = event["resource"]
        for name, value in event["pathParameters"].items():
            resolved = resolved.replace("{" + name + "}", value)
        event["path"] = resolved
        event["requestContext"]["path"] = f"/{event['requestContext']['stage']}{resolved}"
    if token is not KEEP:
        for name in [n for n in event["headers"] if n.lower() == "authorization"]:
            del event["headers"][name]
            del event["multiValueHeaders"][name]
        if token is not None:
            event["headers"]["Authorization"] = f"Bearer {token}"
            event["multiValueHeaders"]["Authorization"] = [f"Bearer {token}"]
    if body is not KEEP:
        event["body"] = json.dumps(body)
    if query is not KEEP:
        event["queryStringParameters"] = dict(query) if query else None
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} if query else None
    return event


def sample_body(function_dir: str, case: str) -> Any:
    """The JSON body of a sample API event."""
    return json.loads(sample_event(function_dir, case)["body"])


def sqs_messages(function_dir: str, case: str) -> list[dict[str, Any]]:
    """The bus messages that the records of a sample SQS event carry (valid ones only)."""
    messages = []
    for record in sample_event(function_dir, case)["Records"]:
        body = json.loads(record["body"])
        if "topic" in body:
            messages.append(body)
    return messages


# Answers ---------------------------------------------------------------------------------
@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)

    def error_fields(self) -> list[str]:
        """The fields a 4xx error names."""
        return [f["field"] for f in self.json().get("fields", [])]


def call(cloud: LocalCloud, logical_id: str, event: dict[str, Any]) -> Answer:
    """Invokes an API function with an API Gateway event; its proxy response, as HTTP."""
    result = cloud.invoke(logical_id, event)
    assert result.get("isBase64Encoded") in (False, None)
    response = Gateway.proxy_response(result)
    return Answer(response.status, response.headers, response.body.decode())


def content_type(answer: Answer) -> str:
    return next((v for k, v in answer.headers.items() if k.lower() == "content-type"), "")


# Stores ----------------------------------------------------------------------------------
def table_items(cloud: LocalCloud, logical_id: str) -> list[dict[str, Any]]:
    """Every item of a table, in a stable order: compare before and after a refused call."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"TableName": cloud.provisioned.tables[logical_id], "ConsistentRead": True}
    with cloud.locked():
        while True:
            answer = cloud.clients.dynamodb.scan(**params)
            items.extend(answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                break
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, default=repr))  # B: bytes


# Houses ----------------------------------------------------------------------------------
def new_house(
    cloud: LocalCloud, name: str = "Pierre & Marie", policies: list[str] | None = None
) -> Registered:
    """A registered house, its registration workflow finished (it is active). Each is far
    (over 50 km) from every other one these tests register: each opens a community of its
    own, so registrations never depend on one another."""
    n = next(_PLACES)
    lat, lon = -60.0 + 0.5 * (n % 200), -170.0 + 0.5 * (n // 200)
    house = register_house(cloud, name, lat, lon, policies)
    settle_workflows(cloud)
    return house


def settle_workflows(cloud: LocalCloud, timeout: float = 10.0) -> None:
    """Waits until no Step Functions execution runs (queues are left alone)."""
    deadline = time.monotonic() + timeout
    while cloud.executions_running():
        assert time.monotonic() < deadline, "a registration workflow did not finish"
        time.sleep(0.005)


def unknown_house_id() -> str:
    return new_id(HOUSE_PREFIX)


# The bus ---------------------------------------------------------------------------------
class TopicProbe(TopicTap):
    """An SQS queue subscribed (raw delivery) to a topic: what was published on it."""
